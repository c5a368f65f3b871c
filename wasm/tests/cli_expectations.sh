#!/usr/bin/env bash
# Records what the real CLI answers for every file under the shared fixtures, for
# wasm/tests/browser.rs to compare the browser build against (it reads the output at
# compile time through PROVENANT_CLI_EXPECTATIONS).
#
# usage: cli_expectations.sh PROVENANT_BIN FIXTURES_DIR OUT_JSON
#
# Each file is verified as `provenant verify REL --json [--trust ANCHORS]`, run from
# FIXTURES_DIR with the clean environment of cli/tests/common/mod.rs (no config, no
# PROVENANT_* settings, a private data dir). Trust anchors per directory are those of
# ../shared/fixtures/README.md and cli/tests/common/mod.rs `fixture_files`:
#   c2pa-rs/**  -> c2pa-rs/certs/test_cert_root_bundle.pem
#   interop/**  -> interop/trust-anchor-root.pem
#   realworld/** -> trust/cai-anchors.pem (the interim CAI anchors, a user-supplied list)
#   formats/**  -> none (the README's expectations are without trust anchors)
#   trust/**    -> none (PEM files: the CLI refuses them as media)
#   top level   -> none (documentation only)
# A fixture directory not in that list stops the script: its anchors must be decided.
#
# Output (JSON):
#   { "fixtures_dir": ABS,
#     "fixtures": { REL: ENTRY, ... },          every regular file, sorted
#     "truncated": [ { "source": REL, "length": N, ...ENTRY }, ... ] }
# ENTRY = { "trust": REL|null, "exit": N,
#           "verdict": V, "failures_by_step": {STEP: [codes]}, "step_status": [..],
#           "report": FULL_REPORT }              when the CLI produced a report, or
#         { "trust": .., "exit": 2, "error": "error: REL: message" }   when it could not run.
# failures_by_step: every chain step index (as a string) -> sorted unique codes of kind
# "failure" attributed to it; failure codes without a step go under "null".
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 PROVENANT_BIN FIXTURES_DIR OUT_JSON" >&2; exit 2; }
bin=$(realpath "$1")
fixtures=$(realpath "$2")
out=$3
command -v jq >/dev/null || { echo "error: jq is required (apt-get install -y jq)" >&2; exit 2; }
[ -x "$bin" ] || { echo "error: $bin is not an executable" >&2; exit 2; }
[ -d "$fixtures" ] || { echo "error: fixtures not found at $fixtures" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/no-config" "$work/entries"
# The truncated copies live beside OUT (a stable path: it appears in their reports).
cuts="$(dirname "$out")/truncated"
mkdir -p "$cuts"
cuts=$(realpath "$cuts")

anchors_for() {
  case "$1" in
    c2pa-rs/*) echo "c2pa-rs/certs/test_cert_root_bundle.pem" ;;
    interop/*) echo "interop/trust-anchor-root.pem" ;;
    realworld/*) echo "trust/cai-anchors.pem" ;;
    formats/* | trust/*) echo "" ;;
    */*) echo "error: no trust anchors known for fixture $1: add its directory to $0" >&2; return 1 ;;
    *) echo "" ;;
  esac
}

summary='
  def failures_by_step:
    ([.chain[].index | tostring] | map({key: ., value: []}) | from_entries)
    + ([.codes[] | select(.kind == "failure")]
       | group_by(.step)
       | map({key: (.[0].step | tostring), value: (map(.code) | unique)})
       | from_entries);
  {verdict: .verdict, failures_by_step: failures_by_step,
   step_status: [.chain[].status], report: .}'

# run_cli FILE_ARG TRUST_REL -> one ENTRY on stdout (FILE_ARG as the CLI is given it)
run_cli() {
  local file=$1 trust=$2 rc=0
  local args=(verify "$file" --json)
  [ -n "$trust" ] && args+=(--trust "$trust")
  (cd "$fixtures" && env -u PROVENANT_TRUST -u PROVENANT_CONFIG -u PROVENANT_CHAIN \
      -u PROVENANT_RPC -u PROVENANT_REGISTRY -u PROVENANT_PUBLISHER_KEY \
      -u PROVENANT_TEST_CRASH_AT PROVENANT_HOME="$work/home" \
      XDG_CONFIG_HOME="$work/no-config" NO_COLOR=1 \
      "$bin" "${args[@]}" >"$work/stdout" 2>"$work/stderr") || rc=$?
  local trust_json=null
  [ -n "$trust" ] && trust_json=$(jq -n --arg t "$trust" '$t')
  case $rc in
    0 | 1) # a report (1 = the verdict fails the default policy)
      jq --argjson trust "$trust_json" --argjson exit "$rc" \
        "$summary"' | {trust: $trust, exit: $exit} + .' "$work/stdout" ;;
    2)
      jq -n --argjson trust "$trust_json" --rawfile err "$work/stderr" \
        '{trust: $trust, exit: 2, error: ($err | rtrimstr("\n"))}' ;;
    *)
      echo "error: provenant exited $rc on $file:" >&2
      cat "$work/stderr" >&2
      return 1 ;;
  esac
}

count=0
while IFS= read -r -d '' rel; do
  rel=${rel#./}
  trust=$(anchors_for "$rel")
  run_cli "$rel" "$trust" | jq --arg rel "$rel" '{($rel): .}' >"$work/entries/$(printf '%05d' "$count").json"
  count=$((count + 1))
done < <(cd "$fixtures" && find . -type f -print0 | LC_ALL=C sort -z)
[ "$count" -gt 0 ] || { echo "error: no fixture files under $fixtures" >&2; exit 1; }

# Signed JPEGs cut in half: still a report (verdict invalid), never a failure to run.
: >"$work/truncated.jsonl"
for rel in c2pa-rs/C.jpg interop/peer-created.jpg; do
  [ -f "$fixtures/$rel" ] || { echo "error: $fixtures/$rel is missing" >&2; exit 1; }
  size=$(stat -c %s "$fixtures/$rel")
  len=$((size / 2))
  cut="$cuts/$(basename "$rel")"
  head -c "$len" "$fixtures/$rel" >"$cut"
  run_cli "$cut" "$(anchors_for "$rel")" |
    jq --arg rel "$rel" --argjson len "$len" '{source: $rel, length: $len} + .' >>"$work/truncated.jsonl"
done

jq -S -n --arg dir "$fixtures" \
  --slurpfile fixtures <(cat "$work"/entries/*.json) \
  --slurpfile truncated "$work/truncated.jsonl" \
  '{fixtures_dir: $dir, fixtures: ($fixtures | add), truncated: $truncated}' >"$out.tmp"
# Keys sorted (-S): the CLI prints some maps, e.g. action parameters, in varying order.
# Rewrite only on change: the browser test includes this file, so a new mtime rebuilds it.
if cmp -s "$out.tmp" "$out"; then rm "$out.tmp"; else mv "$out.tmp" "$out"; fi
echo "cli expectations: $count fixture files, $(jq '.truncated | length' "$out") truncated copies -> $out" >&2
