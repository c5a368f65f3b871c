#!/usr/bin/env bash
# Everything CI proves, runnable on a fresh machine: installs what is missing, then
# formatting, the registry contract check, lints, all tests (including interop with
# the reference c2patool and the chain tests on a real anvil), and the browser build
# of the verify path tested in headless Chromium. One shared cargo target dir throughout.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
t0=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

step "set-up: Debian packages (Chromium and its locales, chromedriver, jq, openssl, softhsm2, zip), Node tools (anvil, forge, solc-js, playwright-core, binaryen, axe-core, addons-linter), rustfmt, clippy, the wasm32 target, wasm-bindgen-cli 0.2.130, c2patool 0.27.22"
sudo_if() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v npm >/dev/null || missing+=(nodejs npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
command -v jq >/dev/null || missing+=(jq)
# The browser tests switch Chromium's language (--lang=de/ar): its locale packs.
[ -f /usr/lib/chromium/locales/de.pak ] || missing+=(chromium-l10n)
# The extension's store packages (wasm/package-extension.sh) and their checks.
{ command -v zip >/dev/null && command -v zipinfo >/dev/null; } || missing+=(zip unzip)
command -v openssl >/dev/null || missing+=(openssl) # the RFC 3161 responder of the time-stamp tests
# The PKCS#11 token of the hardware-key tests (cli/tests/hardware_keys.rs fails, never
# skips, without softhsm2-util and /usr/lib/softhsm/libsofthsm2.so).
{ command -v softhsm2-util >/dev/null && [ -f /usr/lib/softhsm/libsofthsm2.so ]; } || missing+=(softhsm2)
if [ ${#missing[@]} -gt 0 ]; then
  # The browser tests need a real Chromium; they fail (never skip) without one.
  sudo_if apt-get update -qq && sudo_if apt-get install -y -qq "${missing[@]}"
fi
# Pinned in package.json / package-lock.json: anvil + forge 1.7.1, solc-js 0.8.37.
# The chain tests fail (never skip) without anvil, so this must succeed.
[ -x node_modules/.bin/anvil ] && [ -x node_modules/.bin/forge ] && [ -d node_modules/playwright-core ] &&
  [ -d node_modules/axe-core ] && [ -x node_modules/.bin/addons-linter ] || npm ci --no-audit --no-fund
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if ! command -v wasm-bindgen-test-runner >/dev/null || ! wasm-bindgen-test-runner --version | grep -q ' 0\.2\.130$'; then
  # Must match the pinned wasm-bindgen exactly; `--locked` fails for this crate here.
  cargo install wasm-bindgen-cli --version 0.2.130
fi
if ! command -v c2patool >/dev/null || ! c2patool --version | grep -q ' 0\.27\.22'; then
  # The reference C2PA CLI, for the interop tests (newer versions need Rust 1.96).
  cargo install c2patool@0.27.22 --locked
fi

step "format"
cargo fmt --all -- --check

step "registry contract: recompile and compare with the committed artifact, forge tests"
./registry-contract/test.sh

step "layout: no module cycles in core, file and command sizes, no machine paths"
python3 scripts/check-layout.py

step "each cargo feature of provenant-core builds on its own"
for feature in "" sign thumbnails edit iscc chronology postgres anchor fetch device pkcs11 failpoints; do
  cargo check -q -p provenant-core --no-default-features ${feature:+--features "$feature"}
done

step "lints"
# provenant-wasm's `pdf` (off in the browser's first module, for size) is on natively: its PDF tests run
# here; it changes nothing else (the CLI already builds the SDK with PDF).
cargo clippy --workspace --all-targets --features provenant/failpoints,provenant-wasm/pdf -- -D warnings

step "tests"
# The chronology store tests run on SQLite and on a throwaway PostgreSQL server.
pg_env="$(scripts/postgres.sh env)" # a failure to start the server stops the run here
eval "$pg_env"
cargo test --workspace --features provenant/failpoints,provenant-wasm/pdf

# The browser steps use the CLI the test step just built (same features, no rebuild).
export PROVENANT_BIN="$PWD/target/debug/provenant"

step "the verify path in the browser: wasm32 build + wasm-bindgen tests in headless Chromium, same answers as the CLI on every fixture"
./wasm/test-browser.sh

step "verifier page and MV3 extension end to end in headless Chromium (playwright-core; debug wasm build)"
./wasm/build.sh --dev
node wasm/tests/e2e/run.mjs

step "all green in $(( $(date +%s) - t0 ))s"
