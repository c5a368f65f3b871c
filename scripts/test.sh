#!/usr/bin/env bash
# Everything CI proves, runnable on a fresh machine: installs what is missing, then
# formatting, lints, all tests (including interop with the reference c2patool) and
# the wasm32 build of the core verify path. One shared cargo target dir throughout.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
t0=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

step "set-up: Node tools (anvil, forge, solc-js), rustfmt, clippy, the wasm32 target, c2patool 0.27.22"
if ! command -v npm >/dev/null; then
  # Chain tooling comes from npm; Debian's nodejs/npm when a machine lacks them.
  sudo_if() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  sudo_if apt-get update -qq && sudo_if apt-get install -y -qq nodejs npm
fi
# Pinned in package.json / package-lock.json: anvil + forge 1.7.1, solc-js 0.8.37.
# The chain tests fail (never skip) without anvil, so this must succeed.
[ -x node_modules/.bin/anvil ] && [ -x node_modules/.bin/forge ] || npm ci --no-audit --no-fund
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if ! command -v c2patool >/dev/null || ! c2patool --version | grep -q ' 0\.27\.22'; then
  # The reference C2PA CLI, for the interop tests (newer versions need Rust 1.96).
  cargo install c2patool@0.27.22 --locked
fi

step "format"
cargo fmt --all -- --check

step "registry contract: recompile and compare with the committed artifact, forge tests"
./registry-contract/test.sh

step "lints"
cargo clippy --workspace --all-targets -- -D warnings

step "tests"
PROVENANT_REQUIRE_C2PATOOL=1 cargo test --workspace

step "wasm32 build of the verify path (provenant-wasm, no sign/edit features)"
cargo build -p provenant-wasm --target wasm32-unknown-unknown

step "all green in $(( $(date +%s) - t0 ))s"
