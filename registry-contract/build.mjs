#!/usr/bin/env node
// Compiles registry-contract/src/*.sol with the pinned solc-js and writes one artifact per deployable
// contract to registry-contract/artifacts/<Name>.json (ABI + bytecode, read by alloy's `sol!` in core).
//
//   node registry-contract/build.mjs           write the artifacts
//   node registry-contract/build.mjs --check   recompile in memory; exit 1 if a committed artifact differs
//
// Any compiler error or warning fails the build. Metadata (CBOR + bytecode hash) is left out of the bytecode so
// it depends only on the source and the settings below, never on paths or the machine.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const SOLC_VERSION = "0.8.37";
const EVM_VERSION = "cancun";
const OPTIMIZER = { enabled: true, runs: 200 };

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, "src");
const artifactDir = join(here, "artifacts");

function fail(message) {
  console.error(`registry-contract build: ${message}`);
  process.exit(1);
}

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== "--check");
if (unknown.length > 0) fail(`unknown argument(s): ${unknown.join(" ")} (usage: build.mjs [--check])`);
const check = args.includes("--check");

let solc;
try {
  solc = createRequire(import.meta.url)("solc");
} catch {
  fail("the solc package is not installed; run `npm ci` at the repository root");
}
const fullVersion = solc.version();
if (!fullVersion.startsWith(`${SOLC_VERSION}+`)) {
  fail(`solc-js ${fullVersion} is installed but ${SOLC_VERSION} is pinned; run \`npm ci\` at the repository root`);
}

// Source unit names are relative to registry-contract/ ("src/ProvenantRegistry.sol"), like forge's.
const files = readdirSync(srcDir)
  .filter((f) => f.endsWith(".sol"))
  .sort();
if (files.length === 0) fail(`no .sol files in ${srcDir}`);
const sources = {};
const sourceSha256 = {};
for (const f of files) {
  const unit = `src/${f}`;
  const content = readFileSync(join(srcDir, f));
  sources[unit] = { content: content.toString("utf8") };
  sourceSha256[unit] = createHash("sha256").update(content).digest("hex");
}

const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion: EVM_VERSION,
    optimizer: OPTIMIZER,
    metadata: { bytecodeHash: "none", appendCBOR: false },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};

function findImports(path) {
  const file = join(here, path);
  if (!file.startsWith(here + "/") || !existsSync(file)) return { error: `import not found: ${path}` };
  return { contents: readFileSync(file, "utf8") };
}

const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const problems = (output.errors ?? []).filter((e) => e.severity !== "info");
for (const e of output.errors ?? []) console.error(e.formattedMessage ?? e.message);
if (problems.length > 0) {
  fail(`${problems.length} compiler error(s)/warning(s) — warnings are not allowed`);
}

const artifacts = new Map();
for (const unit of Object.keys(sources)) {
  for (const [name, c] of Object.entries(output.contracts?.[unit] ?? {})) {
    const bytecode = c.evm.bytecode.object;
    if (!bytecode) continue; // interfaces and abstract contracts have nothing to deploy
    const artifact = {
      contractName: name,
      compiler: { version: fullVersion, evmVersion: EVM_VERSION, optimizer: OPTIMIZER },
      sourceSha256: sourceSha256[unit],
      abi: c.abi,
      bytecode: `0x${bytecode}`,
      deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
    };
    if (artifacts.has(name)) fail(`two deployable contracts are named ${name}`);
    artifacts.set(`${name}.json`, `${JSON.stringify(artifact, null, 2)}\n`);
  }
}
if (artifacts.size === 0) fail("no deployable contract compiled");

const rel = (p) => relative(process.cwd(), p) || ".";

if (check) {
  const stale = [];
  for (const [file, text] of artifacts) {
    const path = join(artifactDir, file);
    if (!existsSync(path)) {
      stale.push(`${rel(path)} is missing`);
      continue;
    }
    const committed = readFileSync(path, "utf8");
    if (committed === text) continue;
    let detail = "";
    try {
      const a = JSON.parse(committed);
      const b = JSON.parse(text);
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
      const differ = keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
      detail = differ.length > 0 ? ` (fields: ${differ.join(", ")})` : " (formatting)";
    } catch {
      detail = " (not valid JSON)";
    }
    stale.push(`${rel(path)} differs from a fresh compile${detail}`);
  }
  const extra = existsSync(artifactDir)
    ? readdirSync(artifactDir).filter((f) => f.endsWith(".json") && !artifacts.has(f))
    : [];
  for (const f of extra) stale.push(`${rel(join(artifactDir, f))} has no contract in src/`);
  if (stale.length > 0) {
    for (const s of stale) console.error(`  ${s}`);
    fail("committed artifacts are out of date; run `node registry-contract/build.mjs` and commit the result");
  }
  console.log(`registry-contract: ${artifacts.size} artifact(s) match solc ${fullVersion}`);
} else {
  mkdirSync(artifactDir, { recursive: true });
  for (const [file, text] of artifacts) {
    const path = join(artifactDir, file);
    writeFileSync(path, text);
    const size = (JSON.parse(text).deployedBytecode.length - 2) / 2;
    console.log(`wrote ${rel(path)} (deployed bytecode ${size} bytes)`);
  }
}
