#!/usr/bin/env bash
# Builds the browser verifier: Rust → wasm32 → wasm-bindgen (--target web) → wasm-opt -Oz, twice:
#   provenant_wasm.js + provenant_wasm_bg.wasm          the module every reader loads (no PDF reader)
#   provenant_wasm_pdf.js + provenant_wasm_pdf_bg.wasm  the same exports plus PDF (feature `pdf`), which the
#                                                       page and the extension load only for the first PDF
# then copies both into wasm/www/pkg/ and wasm/extension/pkg/ (both gitignored).
#
#   wasm/build.sh          release build (profile wasm-release: opt z, fat LTO; ≈6 min cold per module)
#   wasm/build.sh --dev    debug build, no wasm-opt (faster to compile, slower and larger at run time)
#
# Works from any directory; uses the workspace target dir (one for both modules: the second build
# recompiles only the crates the `pdf` feature changes).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

profile=wasm-release
for arg in "$@"; do
  case "$arg" in
    --dev) profile=dev ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
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

pkg="$target_dir/wasm-pkg"
rm -rf "$pkg"
mkdir -p "$pkg"
# build NAME [CARGO ARGS…]: one module into $pkg as NAME.js + NAME_bg.wasm (+ .d.ts); prints its size.
build() {
  local name="$1"; shift
  local start; start=$(date +%s)
  cargo build -p provenant-wasm --target wasm32-unknown-unknown --profile "$profile" "$@"
  # Both flavours link to the same file: wasm-bindgen reads it before the next build replaces it.
  wasm-bindgen --target web --out-name "$name" --out-dir "$pkg" \
    "$target_dir/wasm32-unknown-unknown/$out_dir/provenant_wasm.wasm"
  local bg="$pkg/${name}_bg.wasm"
  if [ "$profile" != dev ]; then
    "$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$bg" -o "$bg.opt"
    mv "$bg.opt" "$bg"
  fi
  sizes+=("$name ($profile): $(stat -c %s "$bg") bytes raw, $(gzip -9 -c "$bg" | wc -c) bytes gzip -9 ($(( $(date +%s) - start )) s)")
}
sizes=()
build provenant_wasm
build provenant_wasm_pdf --features pdf

for dest in "$here/www/pkg" "$here/extension/pkg"; do
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$pkg"/provenant_wasm.js "$pkg"/provenant_wasm_bg.wasm "$pkg"/provenant_wasm_pdf.js \
    "$pkg"/provenant_wasm_pdf_bg.wasm "$pkg"/*.d.ts "$dest"/
done
# The extension cannot load files outside its folder: it gets its own copies of the shared
# renderer, the anchor checker, the publisher-endpoint fetcher, the original finder and the i18n helper; the page gets a copy of the extension's
# message catalogs (one set of translations for both).
cp "$here/www/render.js" "$here/extension/pkg/render.js"
cp "$here/www/anchors.js" "$here/extension/pkg/anchors.js"
cp "$here/www/published.js" "$here/extension/pkg/published.js"
cp "$here/www/recover.js" "$here/extension/pkg/recover.js"
cp "$here/www/external.js" "$here/extension/pkg/external.js"
cp "$here/www/i18n.js" "$here/extension/pkg/i18n.js"
cp -r "$here/extension/_locales" "$here/www/pkg/_locales"

for line in "${sizes[@]}"; do echo "wasm $line"; done
