#!/usr/bin/env bash
# Seeds the (uncommitted) corpus from the shared fixtures and our samples, then runs
# the verify target: ./fuzz/seed.sh [seconds]. FUZZ_MAX_LEN=65536 gives more, smaller
# runs. Needs cargo-fuzz (cargo install cargo-fuzz).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/verify
cp ../../shared/fixtures/c2pa-rs/*.jpg ../../shared/fixtures/c2pa-rs/*.png ../../shared/fixtures/interop/*.jpg corpus/verify/ 2>/dev/null || true
cp ../samples/*.jpg ../samples/*.png corpus/verify/
# The toolchain here is stable: let cargo-fuzz use its unstable flags.
export RUSTC_BOOTSTRAP=1
exec cargo fuzz run verify corpus/verify -- -max_total_time="${1:-600}" -max_len="${FUZZ_MAX_LEN:-2000000}" -rss_limit_mb=4096
