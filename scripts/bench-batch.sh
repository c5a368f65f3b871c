#!/usr/bin/env bash
# Times `provenant batch` (release build, all cores, one process) against the reference
# c2patool 0.27.22 (one process per file, as a shell loop or a pipeline runs it) over
# the same corpus of >= 1,000 files, then runs `provenant batch` over 10,000 files
# (hard links) and reports its peak RSS.
#   ./scripts/bench-batch.sh          FILES=2000 ./scripts/bench-batch.sh
#
# Corpus (target/bench-corpus): the shared fixtures, plus pictures made by the
# bench_image example at 640x480, 1920x1080 and 4000x3000, each signed many times with
# throwaway keys from `provenant keygen` (capture and AI sources; SMALL, MEDIUM, LARGE
# copies, default 600/300/60, every one a distinct file) and some edited with
# `provenant edit`; hard links fill up to FILES files if there are fewer.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
FILES=${FILES:-1000}
target=${CARGO_TARGET_DIR:-target}
corpus=target/bench-corpus
fixtures=../shared/fixtures

cargo build --release -q -p provenant
cargo build --release -q -p provenant-core --example bench_image
bin=$target/release/provenant

rm -rf "$corpus" && mkdir -p "$corpus/src" "$corpus/files" "$corpus/big"
"$bin" keygen --out "$corpus/keys" --org "Bench Newsroom" >/dev/null 2>&1
root=$corpus/keys/root.pem
export PROVENANT_HOME=$corpus/home   # keep the bench out of the real chronology log
# Distinct signed files per size (each signature makes a distinct file).
declare -A copies=([640x480]=${SMALL:-600} [1920x1080]=${MEDIUM:-300} [4000x3000]=${LARGE:-60})
for size in 640x480 1920x1080 4000x3000; do
  "$target/release/examples/bench_image" "$corpus/src/$size.jpg" "$size"
  for ((i = 1; i <= copies[$size]; i++)); do
    src=ai; [ $((i % 2)) = 1 ] && src=capture
    "$bin" sign "$corpus/src/$size.jpg" -o "$corpus/src/$size-s$i.jpg" --key "$corpus/keys" \
      --source "$src" --title "bench $size $i" --no-log >/dev/null 2>&1
  done
  "$bin" edit "$corpus/src/$size-s1.jpg" -o "$corpus/src/$size-e1.jpg" --key "$corpus/keys" \
    --crop 10,10,320,240 --brightness 5 --no-log >/dev/null 2>&1
  "$bin" edit "$corpus/src/$size-s2.jpg" -o "$corpus/src/$size-e2.jpg" --key "$corpus/keys" \
    --grayscale --no-log >/dev/null 2>&1
done
rm -f "$corpus"/src/640x480.jpg "$corpus"/src/1920x1080.jpg "$corpus"/src/4000x3000.jpg # unsigned sources
seeds=("$corpus"/src/*.jpg)
if [ -d "$fixtures" ]; then
  seeds+=("$fixtures"/c2pa-rs/*.jpg "$fixtures"/c2pa-rs/*.png "$fixtures"/interop/*.jpg "$fixtures"/interop/*.png)
else
  echo "note: $fixtures not found: corpus without the shared fixtures" >&2
fi
for ((i = 0; i < FILES; i++)); do
  s=${seeds[$((i % ${#seeds[@]}))]}
  ln -f "$s" "$corpus/files/$(printf '%05d' "$i")-$(basename "$s")" 2>/dev/null ||
    cp "$s" "$corpus/files/$(printf '%05d' "$i")-$(basename "$s")"
done
echo "corpus: $FILES files from ${#seeds[@]} distinct pictures in $corpus/files ($(nproc) cores)" >&2

now() { date +%s.%N; }
t0=$(now)
"$bin" batch -q "$corpus/files" --trust "$root" --trust "$fixtures/interop/trust-anchor-root.pem" >/dev/null || true
t1=$(now)
ours=$(echo "$t1 - $t0" | bc -l)

ref=""
if command -v c2patool >/dev/null; then
  t0=$(now)
  for f in "$corpus"/files/*; do
    c2patool "$f" trust --trust_anchors "$root" >/dev/null 2>&1 || true
  done
  t1=$(now)
  ref=$(echo "$t1 - $t0" | bc -l)
  # The same, one process per file but as many at once as there are cores.
  t0=$(now)
  find "$corpus/files" -type f -print0 |
    xargs -0 -P "$(nproc)" -I{} sh -c 'c2patool "$1" trust --trust_anchors "$2" >/dev/null 2>&1 || true' _ {} "$root"
  t1=$(now)
  refpar=$(echo "$t1 - $t0" | bc -l)
else
  echo "c2patool is not on PATH: timing provenant only (cargo install c2patool@0.27.22 --locked)" >&2
fi

printf '%-28s %8s %10s %12s\n' tool files seconds images/s
printf '%-28s %8d %10.2f %12.1f\n' "provenant batch" "$FILES" "$ours" "$(echo "$FILES / $ours" | bc -l)"
if [ -n "$ref" ]; then
  printf '%-28s %8d %10.2f %12.1f\n' "c2patool (process per file)" "$FILES" "$ref" "$(echo "$FILES / $ref" | bc -l)"
  printf '%-28s %8d %10.2f %12.1f\n' "c2patool ($(nproc) at a time)" "$FILES" "$refpar" "$(echo "$FILES / $refpar" | bc -l)"
  printf 'provenant batch is %.1fx the reference one file at a time, %.1fx with %s processes at a time\n' \
    "$(echo "$ref / $ours" | bc -l)" "$(echo "$refpar / $ours" | bc -l)" "$(nproc)"
fi

# 10,000 files (hard links of the corpus) and the peak RSS of the one batch process.
for ((i = 0; i < 10000; i++)); do
  s=${seeds[$((i % ${#seeds[@]}))]}
  ln -f "$s" "$corpus/big/$(printf '%05d' "$i")-$(basename "$s")" 2>/dev/null ||
    cp "$s" "$corpus/big/$(printf '%05d' "$i")-$(basename "$s")"
done
if [ -x /usr/bin/time ]; then
  { /usr/bin/time -v "$bin" batch -q "$corpus/big" --trust "$root" --summary-json \
    2>"$corpus/time.txt" || true; } | tail -n1
  grep -E 'Maximum resident|Elapsed' "$corpus/time.txt"
else
  echo "/usr/bin/time missing (apt-get install time): 10,000-file run without peak RSS" >&2
  { "$bin" batch -q "$corpus/big" --trust "$root" --summary-json || true; } | tail -n1
fi
