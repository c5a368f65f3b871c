#!/usr/bin/env bash
# Packages the browser verifier for publication, reproducibly (the same inputs give the same bytes):
#
#   wasm/build.sh                  # first: the release wasm (wasm/extension/pkg, wasm/www/pkg)
#   wasm/package-extension.sh [OUT_DIR]
#
# writes into OUT_DIR (default: <cargo target dir>/browser-dist):
#   provenant-chrome-<version>.zip    the extension for the Chrome Web Store (MV3, service worker)
#   provenant-firefox-<version>.zip   the same extension for addons.mozilla.org (MV3 with
#                                     background.scripts and browser_specific_settings)
#   site/                             the verifier page as a static site: copy it to any web server
#                                     (it needs no server code; serve .wasm as application/wasm)
# Reproducible: files are copied into a staging folder, given one fixed mtime (SOURCE_DATE_EPOCH,
# else the last commit's time) and mode 0644, and zipped in sorted order without extra attributes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
ext="$here/extension"
www="$here/www"

for f in "$ext/pkg/provenant_wasm.js" "$ext/pkg/provenant_wasm_bg.wasm" "$ext/pkg/provenant_wasm_pdf.js" \
  "$ext/pkg/provenant_wasm_pdf_bg.wasm" "$ext/pkg/render.js" "$ext/pkg/anchors.js" "$ext/pkg/published.js" "$ext/pkg/recover.js" "$ext/pkg/external.js" \
  "$ext/pkg/i18n.js" "$www/pkg/provenant_wasm_bg.wasm" "$www/pkg/provenant_wasm_pdf.js" "$www/pkg/provenant_wasm_pdf_bg.wasm" \
  "$www/pkg/_locales/en/messages.json"; do
  [ -f "$f" ] || { echo "package-extension.sh: $f is missing: run wasm/build.sh first" >&2; exit 2; }
done
# A debug build (wasm/build.sh --dev) is ~24 MB a module; the release one ~6 MB. Packaging a debug build is
# allowed (the e2e tests do), but it is not what to publish.
if [ "$(stat -c %s "$ext/pkg/provenant_wasm_bg.wasm")" -gt $((12 * 1024 * 1024)) ]; then
  echo "package-extension.sh: warning: wasm/extension/pkg holds a debug build; run wasm/build.sh (release) before publishing" >&2
fi
command -v zip >/dev/null || { echo "package-extension.sh: zip is missing (apt-get install zip)" >&2; exit 2; }

if [ $# -ge 1 ]; then out="$1"; else
  out="$(cd "$root" && cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')/browser-dist"
fi
epoch="${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 315964800)}"
version="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).version)' "$ext/manifest.json")"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# The extension's files: no sources of generated files, no type declarations, no tooling.
copy_extension() {
  local dest="$1"
  mkdir -p "$dest/pkg" "$dest/icons"
  cp "$ext"/*.js "$ext"/*.html "$dest/"
  cp -r "$ext/_locales" "$dest/"
  cp "$ext"/icons/icon-*.png "$dest/icons/"
  cp "$ext"/pkg/{provenant_wasm.js,provenant_wasm_bg.wasm,provenant_wasm_pdf.js,provenant_wasm_pdf_bg.wasm,render.js,anchors.js,published.js,recover.js,external.js,i18n.js} "$dest/pkg/"
}

# Fixed mtimes and modes, sorted entries, no extra fields (uid/gid, extended times): same bytes.
zip_dir() {
  local dir="$1" zipfile="$2"
  find "$dir" -type d -exec chmod 0755 {} + ; find "$dir" -type f -exec chmod 0644 {} +
  find "$dir" -exec touch -h -d "@$epoch" {} +
  rm -f "$zipfile"
  (cd "$dir" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | TZ=UTC zip -X -D -q "$zipfile" -@)
}

copy_extension "$stage/chrome"
cp "$ext/manifest.json" "$stage/chrome/manifest.json"
zip_dir "$stage/chrome" "$out/provenant-chrome-$version.zip"

copy_extension "$stage/firefox"
node - "$ext/manifest.json" "$stage/firefox/manifest.json" <<'JS'
// Firefox: an event page (background.scripts) instead of a service worker, options_ui, the
// add-on id and the data it collects (none), no Chrome-only keys.
const fs = require('fs');
const m = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
m.background = { scripts: [m.background.service_worker], type: 'module' };
delete m.minimum_chrome_version;
m.options_ui = { page: m.options_page, open_in_tab: true };
delete m.options_page;
m.browser_specific_settings = { gecko: { id: 'provenant@provenant.dev', strict_min_version: '142.0',
  data_collection_permissions: { required: ['none'] } } };
fs.writeFileSync(process.argv[3], JSON.stringify(m, null, 2) + '\n');
JS
zip_dir "$stage/firefox" "$out/provenant-firefox-$version.zip"

# The page, as a static site.
rm -rf "$out/site"
mkdir -p "$out/site/pkg"
cp "$www"/{index.html,app.js,worker.js,render.js,anchors.js,published.js,recover.js,external.js,i18n.js,style.css} "$out/site/"
cp "$www"/pkg/{provenant_wasm.js,provenant_wasm_bg.wasm,provenant_wasm_pdf.js,provenant_wasm_pdf_bg.wasm} "$out/site/pkg/"
cp -r "$www/pkg/_locales" "$out/site/pkg/"
find "$out/site" -exec touch -h -d "@$epoch" {} +

for z in "$out/provenant-chrome-$version.zip" "$out/provenant-firefox-$version.zip"; do
  echo "$(sha256sum "$z" | cut -c1-16)…  $(stat -c %s "$z") bytes  $z"
done
echo "site: $out/site (static files: index.html, scripts, pkg/)"
