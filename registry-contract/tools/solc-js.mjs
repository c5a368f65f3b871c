#!/usr/bin/env node
// A `solc` stand-in for forge (foundry.toml: `solc = "tools/solc-js.mjs"`): no native solc 0.8.37 can be
// downloaded here, so this answers the two things forge asks of a compiler — `--version` and
// `--standard-json` (JSON in on stdin, JSON out on stdout) — through the pinned solc-js package.
// Other flags forge passes (--allow-paths, --base-path, --include-path) are honoured for imports only.

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";

const solc = createRequire(import.meta.url)("solc");
const args = process.argv.slice(2);

if (args.includes("--version")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}

if (!args.includes("--standard-json")) {
  process.stderr.write("solc-js.mjs: only --version and --standard-json are supported\n");
  process.exit(2);
}

// Import roots: --base-path and every --include-path, then the working directory.
const roots = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--base-path" || args[i] === "--include-path") roots.push(resolve(args[++i] ?? "."));
}
roots.push(process.cwd());

function findImports(path) {
  for (const root of roots) {
    const file = isAbsolute(path) ? path : join(root, path);
    if (existsSync(file)) return { contents: readFileSync(file, "utf8") };
  }
  return { error: `File not found: ${path}` };
}

const input = readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
