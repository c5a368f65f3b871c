#!/usr/bin/env bash
# Checks the registry contract: the committed artifact matches a fresh compile, the sources are `forge fmt`
# clean, the forge tests pass, and the bytecode forge tested is the committed one. Works from any directory;
# extra arguments go to `forge test` (e.g. `registry-contract/test.sh --gas-report` or `-vv --mt Gas`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

if [[ ! -x node_modules/.bin/forge || ! -d node_modules/solc ]]; then
  echo "registry-contract: installing pinned node tools (npm ci)" >&2
  npm ci --no-audit --no-fund
fi

node registry-contract/build.mjs --check

cd "$here"
"$root/node_modules/.bin/forge" fmt --check
"$root/node_modules/.bin/forge" test "$@"

node --input-type=module -e '
import { readFileSync } from "node:fs";
const committed = JSON.parse(readFileSync("artifacts/ProvenantRegistry.json", "utf8"));
const tested = JSON.parse(readFileSync("out/ProvenantRegistry.sol/ProvenantRegistry.json", "utf8"));
if (committed.deployedBytecode !== tested.deployedBytecode.object) {
  console.error("registry-contract: forge compiled different bytecode from the committed artifact");
  process.exit(1);
}
console.log("registry-contract: forge tested the committed bytecode");
'
