#!/usr/bin/env bash
# Builds the browser verifier: Rust → wasm32 → wasm-bindgen (--target web) → wasm-opt -Oz,
# then copies the package into wasm/www/pkg/ and wasm/extension/pkg/ (both gitignored).
#
#   wasm/build.sh          release build (profile wasm-release: opt z, fat LTO; ≈5.5 min cold)
#   wasm/build.sh --dev    debug build, no wasm-opt (faster to compile, slower and larger at run time)
#   wasm/build.sh --pdf    also reads PDF (the `pdf` feature: +174 KiB gzip, over the size budget)
#
# Works from any directory; uses the workspace target dir.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

profile=wasm-release
features=()
for arg in "$@"; do
  case "$arg" in
    --dev) profile=dev ;;
    --pdf) features=(--features pdf) ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

WASM_BINDGEN_VERSION=0.2.130
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v wasm-bindgen >/dev/null || ! wasm-bindgen --version | grep -q " $WASM_BINDGEN_VERSION\$"; then
  echo "build.sh: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (must match the wasm-bindgen crate)" >&2
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
WASM_OPT="$root/node_modules/.bin/wasm-opt"   # npm binaryen@132: Debian's 108 breaks the module
if [ ! -x "$WASM_OPT" ]; then
  echo "build.sh: $WASM_OPT is missing: run 'npm ci' at the repository root" >&2
  exit 2
fi

target_dir="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
out_dir="$profile"; [ "$profile" = dev ] && out_dir=debug

start=$(date +%s)
cargo build -p provenant-wasm --target wasm32-unknown-unknown --profile "$profile" "${features[@]}"
wasm="$target_dir/wasm32-unknown-unknown/$out_dir/provenant_wasm.wasm"

pkg="$target_dir/wasm-pkg"
rm -rf "$pkg"
wasm-bindgen --target web --out-dir "$pkg" "$wasm"
bg="$pkg/provenant_wasm_bg.wasm"
if [ "$profile" != dev ]; then
  "$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$bg" -o "$bg.opt"
  mv "$bg.opt" "$bg"
fi

for dest in "$here/www/pkg" "$here/extension/pkg"; do
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$pkg"/provenant_wasm.js "$pkg"/provenant_wasm_bg.wasm "$pkg"/*.d.ts "$dest"/
done
# The extension cannot load files outside its folder: it gets its own copies of the shared
# renderer, the anchor checker, the publisher-endpoint fetcher, the original finder and the i18n helper; the page gets a copy of the extension's
# message catalogs (one set of translations for both).
cp "$here/www/render.js" "$here/extension/pkg/render.js"
cp "$here/www/anchors.js" "$here/extension/pkg/anchors.js"
cp "$here/www/published.js" "$here/extension/pkg/published.js"
cp "$here/www/recover.js" "$here/extension/pkg/recover.js"
cp "$here/www/i18n.js" "$here/extension/pkg/i18n.js"
cp -r "$here/extension/_locales" "$here/www/pkg/_locales"

raw=$(stat -c %s "$bg")
gz=$(gzip -9 -c "$bg" | wc -c)
echo "wasm ($profile): $raw bytes raw, $gz bytes gzip -9 ($(( $(date +%s) - start )) s)"
