#!/usr/bin/env bash
# Anchors for real on a local chain: starts anvil (from npm), deploys the registry,
# registers a publisher, signs and edits a sample, anchors the chronology log, writes
# the proof sidecar and verifies the picture against the chain. Everything lives in a
# temporary directory; nothing touches your own chronology log.
#
#   ./samples/anchor-demo.sh            (needs `npm ci` once at the repository root)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[ -x node_modules/.bin/anvil ] || npm ci --no-audit --no-fund
cargo build -q -p provenant
bin="$root/target/debug/provenant"

work="$(mktemp -d)"
export PROVENANT_HOME="$work/home"
port=$(( 20000 + RANDOM % 20000 ))
# One block a second, finality two blocks behind: `anchor --wait` sees a batch finalize.
node_modules/.bin/anvil --host 127.0.0.1 --port "$port" --block-time 1 --slots-in-an-epoch 1 --silent &
anvil_pid=$!
trap 'kill $anvil_pid 2>/dev/null; rm -rf "$work"' EXIT
rpc="http://127.0.0.1:$port"
for _ in $(seq 50); do
  curl -s -o /dev/null -X POST -H 'content-type: application/json' \
    --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$rpc" && break
  sleep 0.2
done

# anvil's well-known dev keys: account 0 administers the publisher, account 1 anchors.
echo 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 > "$work/admin.key"
echo 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d > "$work/anchor.key"
chmod 600 "$work"/*.key

say() { printf '\n== %s\n' "$*"; }
say "deploy the registry and register a publisher"
"$bin" registry deploy --chain "$rpc" --key-file "$work/admin.key"
"$bin" registry publisher register --name "Demo Newsroom" --chain "$rpc" --key-file "$work/admin.key"
"$bin" registry publisher authorize 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --anchor-key-file "$work/anchor.key" --chain "$rpc" --key-file "$work/admin.key"

say "sign a capture and edit it (each is logged)"
"$bin" keygen --out "$work/keys" --org "Demo Newsroom" >/dev/null
"$bin" sign samples/harbour-capture.jpg -o "$work/signed.jpg" --key "$work/keys"
"$bin" edit "$work/signed.jpg" -o "$work/published.jpg" --key "$work/keys" --crop 0,0,900,600

say "anchor: seal the log into a Merkle batch, send its root, wait for finality"
"$bin" anchor --chain "$rpc" --key-file "$work/anchor.key" --wait --poll 0.5

say "write the proof sidecar and verify against the chain"
"$bin" proof "$work/published.jpg"
"$bin" verify "$work/published.jpg" --chain "$rpc" --trust "$work/keys/root.pem" --require-anchor
