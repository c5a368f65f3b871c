#!/usr/bin/env bash
# Seeds the (uncommitted) corpus from the shared fixtures and our samples, then runs
# the verify target: ./fuzz/seed.sh [seconds]. FUZZ_MAX_LEN=65536 gives more, smaller
# runs. Needs cargo-fuzz (cargo install cargo-fuzz).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/verify
cp ../../shared/fixtures/c2pa-rs/*.jpg ../../shared/fixtures/c2pa-rs/*.png ../../shared/fixtures/interop/*.jpg corpus/verify/ 2>/dev/null || true
cp ../samples/*.jpg ../samples/*.png corpus/verify/
# Every other format the SDK reads (the reference SDK's samples), and bare magic numbers.
cp ../../shared/fixtures/formats/* corpus/verify/ 2>/dev/null || true
printf 'RIFF\x04\0\0\0WAVE' > corpus/verify/magic-wav
printf 'RIFF\x04\0\0\0AVI ' > corpus/verify/magic-avi
printf 'ID3\x04\0\0\0\0\0\0' > corpus/verify/magic-mp3-id3
printf '\xff\xfb\x90\x64' > corpus/verify/magic-mp3-frame
printf 'fLaC\0\0\0\x22' > corpus/verify/magic-flac
printf '\xff\x0a' > corpus/verify/magic-jxl
printf '\0\0\0\x0cJXL \r\n\x87\n' > corpus/verify/magic-jxl-box
printf '\0\0\0\x18ftypM4A \0\0\0\0' > corpus/verify/magic-m4a
printf '%%PDF-1.7\n' > corpus/verify/magic-pdf
printf '<?xml version="1.0"?><svg>' > corpus/verify/magic-svg
printf '\0\0\0\x20jumb\0\0\0\x18jumdc2pa' > corpus/verify/magic-c2pa
# The toolchain here is stable: let cargo-fuzz use its unstable flags.
export RUSTC_BOOTSTRAP=1
exec cargo fuzz run verify corpus/verify -- -max_total_time="${1:-600}" -max_len="${FUZZ_MAX_LEN:-2000000}" -rss_limit_mb=4096
