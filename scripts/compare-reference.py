#!/usr/bin/env python3
"""Verifies every file of a folder with provenant and with the reference tool (c2patool) under
the same trust configuration, and prints where they agree.

usage: scripts/compare-reference.py [--trust PEM]... [--allowed PEM] [--no-trust-list]
                                    [--provenant BIN] [--c2patool BIN] [--json] PATH...

PATH is a file or a folder (walked recursively). provenant runs as
`provenant verify FILE --json [--trust PEM]... [--allowed PEM]` with its built-in C2PA trust
list (unless --no-trust-list); c2patool runs as `c2patool FILE trust --trust_anchors BUNDLE
[--allowed_list PEM]`, where BUNDLE is the same built-in list (core/trust/C2PA-TRUST-LIST.pem)
plus every --trust file, so both sides trust the same roots.

For each file it prints provenant's verdict and the failure codes of the active manifest
(step 0), then c2patool's validation_state and the failure codes of its activeManifest; a
file c2patool cannot read (no manifest, a format it refuses) counts as `no_manifest`, as in
cli/tests/reference_tool.rs. Exit status: 0 when every verdict agrees, 1 otherwise, 2 on
bad usage. Nothing is fetched: both tools run offline.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def files_of(paths):
    for p in paths:
        if os.path.isdir(p):
            for d, _, names in sorted(os.walk(p)):
                for n in sorted(names):
                    yield os.path.join(d, n)
        else:
            yield p


def reference(tool, path, bundle, allowed):
    args = [tool, path, "trust", "--trust_anchors", bundle]
    if allowed:
        args += ["--allowed_list", allowed]
    o = subprocess.run(args, capture_output=True, text=True, timeout=300)
    try:
        j = json.loads(o.stdout)
    except ValueError:
        return "no_manifest", []
    active = j.get("validation_results", {}).get("activeManifest", {})
    codes = sorted({c["code"] for c in active.get("failure", [])})
    return (j.get("validation_state") or "").lower(), codes


def ours(binary, path, trust, allowed, no_list):
    args = [binary, "verify", path, "--json"]
    for t in trust:
        args += ["--trust", t]
    if allowed:
        args += ["--allowed", allowed]
    if no_list:
        args.append("--no-trust-list")
    o = subprocess.run(args, capture_output=True, text=True, timeout=300)
    try:
        j = json.loads(o.stdout)
    except ValueError:
        return "error", [o.stderr.strip().splitlines()[-1] if o.stderr.strip() else f"exit {o.returncode}"]
    codes = sorted({c["code"] for c in j.get("codes", []) if c.get("kind") == "failure" and c.get("step") == 0})
    return j.get("verdict"), codes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trust", action="append", default=[], metavar="PEM")
    ap.add_argument("--allowed", metavar="PEM")
    ap.add_argument("--no-trust-list", action="store_true")
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ap.add_argument("--provenant", default=os.path.join(target, "release", "provenant"))
    ap.add_argument("--c2patool", default="c2patool")
    ap.add_argument("--json", action="store_true", help="one JSON object per file")
    ap.add_argument("paths", nargs="+", metavar="PATH")
    a = ap.parse_args()
    if not os.access(a.provenant, os.X_OK):
        print(f"error: {a.provenant} is not an executable (cargo build --release -p provenant)", file=sys.stderr)
        return 2
    pem = "" if a.no_trust_list else open(os.path.join(ROOT, "core/trust/C2PA-TRUST-LIST.pem")).read()
    for t in a.trust:
        pem += "\n" + open(t).read()
    agree = total = 0
    with tempfile.TemporaryDirectory() as tmp:
        bundle = os.path.join(tmp, "anchors.pem")
        with open(bundle, "w") as f:
            f.write(pem)
        for path in files_of(a.paths):
            our_verdict, our_codes = ours(a.provenant, path, a.trust, a.allowed, a.no_trust_list)
            their_state, their_codes = reference(a.c2patool, path, bundle, a.allowed)
            # provenant's "error" for a file it cannot read is c2patool's unreadable file.
            same = our_verdict == their_state or (our_verdict == "error" and their_state == "no_manifest")
            total += 1
            agree += same
            if a.json:
                print(json.dumps({"file": path, "agree": same, "provenant": {"verdict": our_verdict, "failures": our_codes},
                                  "c2patool": {"validation_state": their_state, "failures": their_codes}}))
            else:
                mark = "=" if same else "≠"
                print(f"{mark} {os.path.relpath(path)}\n    provenant {our_verdict} {' '.join(our_codes)}\n"
                      f"    c2patool  {their_state} {' '.join(their_codes)}")
    print(f"verdicts agree on {agree} of {total} files", file=sys.stderr)
    return 0 if agree == total else 1


if __name__ == "__main__":
    sys.exit(main())
