#!/usr/bin/env bash
# Browser tests of provenant-wasm in headless Chromium (wasm/tests/browser.rs): every
# file under ../shared/fixtures must get the same verdict and failure codes from the
# browser build as from the CLI. Never skips: missing tools are an error.
#
#   1. builds the CLI (a no-op when fresh) and records its answers on every fixture
#      (wasm/tests/cli_expectations.sh -> TARGET/wasm-test/cli-expectations.json);
#   2. runs `cargo test -p provenant-wasm --target wasm32-unknown-unknown --test browser`
#      through wasm-bindgen-test-runner + chromedriver.
#
# Needs: chromium + chromium-driver (apt-get install -y chromium chromium-driver),
# wasm-bindgen-test-runner 0.2.130 (cargo install wasm-bindgen-cli --version 0.2.130),
# the wasm32-unknown-unknown target, jq. Works from any directory; uses the workspace's
# target dir.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
t0=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(($(date +%s) - t0))" "$*"; }
fail() { echo "error: $*" >&2; exit 1; }

step "tools"
chromium=/usr/bin/chromium
chromedriver=${CHROMEDRIVER:-/usr/bin/chromedriver}
[ -x "$chromium" ] || fail "$chromium is missing: apt-get install -y chromium chromium-driver"
[ -x "$chromedriver" ] || fail "$chromedriver is missing: apt-get install -y chromium chromium-driver"
grep -q "\"$chromium\"" wasm/webdriver.json || fail "wasm/webdriver.json does not name $chromium"
runner=$(command -v wasm-bindgen-test-runner) ||
  fail "wasm-bindgen-test-runner is missing: cargo install wasm-bindgen-cli --version 0.2.130"
# The runner must match the wasm-bindgen the crate links (pinned in Cargo.toml).
want=$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' Cargo.toml)
have=$("$runner" --version | awk '{print $2}')
[ -n "$want" ] && [ "$have" = "$want" ] ||
  fail "wasm-bindgen-test-runner is $have, the workspace pins wasm-bindgen $want: cargo install wasm-bindgen-cli --version $want"
command -v jq >/dev/null || fail "jq is missing: apt-get install -y jq"
rustup target list --installed | grep -qx wasm32-unknown-unknown ||
  fail "the wasm32-unknown-unknown target is missing: rustup target add wasm32-unknown-unknown"
echo "$("$chromium" --version 2>/dev/null | head -1); $("$chromedriver" --version | head -1); wasm-bindgen-test-runner $have"

target=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
fixtures="$root/../shared/fixtures"
[ -d "$fixtures" ] || fail "fixtures not found at $fixtures"
expectations="$target/wasm-test/cli-expectations.json"

step "CLI answers on every fixture"
# scripts/test.sh passes the binary its test step built (PROVENANT_BIN): building it here
# without dev-dependencies would unify features differently and compile c2pa again.
cli=${PROVENANT_BIN:-}
if [ -z "$cli" ]; then
  cargo build -p provenant --bin provenant
  cli="$target/debug/provenant"
fi
[ -x "$cli" ] || fail "no provenant binary at $cli"
wasm/tests/cli_expectations.sh "$cli" "$fixtures" "$expectations"
n_fixtures=$(jq '.fixtures | length' "$expectations")
n_truncated=$(jq '.truncated | length' "$expectations")
[ "$n_fixtures" -gt 0 ] || fail "no fixtures recorded in $expectations"

step "lints of the browser build (wasm32, tests included)"
export PROVENANT_CLI_EXPECTATIONS="$expectations"
cargo clippy -p provenant-wasm --target wasm32-unknown-unknown --all-targets -- -D warnings

step "browser tests in headless Chromium"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$runner"
export CHROMEDRIVER="$chromedriver"
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-600}
log="$target/wasm-test/browser-test.log"
set +e
cargo test -p provenant-wasm --target wasm32-unknown-unknown --test browser -- --nocapture 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || fail "browser tests failed (exit $rc); log: $log"
# Guard against a run that passed without running: Chrome, three tests, all fixtures.
grep -q "headless tests in Chrome" "$log" || fail "the tests did not run in headless Chrome; log: $log"
grep -Eq "test result: ok\. [1-9][0-9]* passed" "$log" || fail "no browser test ran; log: $log"
summary=$(grep -o "compared $n_fixtures fixtures with the CLI[^\"]*" "$log" | head -1)
[ -n "$summary" ] || fail "the browser test did not report comparing all $n_fixtures fixtures; log: $log"
grep -q "compared $n_truncated truncated files with the CLI" "$log" ||
  fail "the browser test did not report comparing the $n_truncated truncated files; log: $log"

step "green: $summary; $n_truncated truncated copies too"
