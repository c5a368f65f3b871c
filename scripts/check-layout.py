#!/usr/bin/env python3
"""Checks that the layout still shows the architecture (run by scripts/test.sh):

1. no module cycles in provenant-core: the graph of `crate::`/`super::` references between
   its source files (test code left out) has no cycle. A child module may use what its
   parent module declares (the folder's mod.rs is its interface), so edges from a module
   to its own ancestors are not counted; any other cycle is an error;
2. no source file of core, cli or wasm over 600 lines of non-test code;
3. no function of the CLI's commands over 80 lines;
4. no absolute machine paths (/work/, /root/, /home/) in tracked files.

Exit 0 when all hold, 1 with one line per problem otherwise.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORE = os.path.join(ROOT, "core", "src")
MAX_FILE_LINES = 600
MAX_COMMAND_FN_LINES = 80
problems = []


def non_test_lines(path):
    """The file's lines up to its `#[cfg(test)]` module (or all of them)."""
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    for i, line in enumerate(lines):
        following = [l for l in lines[i + 1:i + 4] if l.strip() and not l.startswith("#[")]
        if line.startswith("#[cfg(test)]") and following and following[0].startswith("mod "):
            return lines[:i]
    return lines


def module_of(path):
    """core/src/a/b.rs or core/src/a/b/mod.rs -> ('a', 'b'); lib.rs -> ()."""
    rel = os.path.relpath(path, CORE)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib"):
        rel = rel[:-1]
    return tuple(rel)


def core_modules():
    mods = {}
    for dirpath, _, files in os.walk(CORE):
        for name in files:
            if name.endswith(".rs"):
                path = os.path.join(dirpath, name)
                if name == "tests.rs":
                    continue
                mods[module_of(path)] = path
    return mods


def resolve(mods, current, parts):
    """The longest known module named by a path from `current` (a tuple)."""
    if parts and parts[0] == "crate":
        base, rest = (), parts[1:]
    elif parts and parts[0] in ("super", "self"):
        base = current
        while parts and parts[0] in ("super", "self"):
            if parts[0] == "super":
                base = base[:-1]
            parts = parts[1:]
        rest = parts
    else:
        return None
    best = base if base in mods else None
    for i in range(1, len(rest) + 1):
        cand = base + tuple(rest[:i])
        if cand in mods:
            best = cand
    return best


PATH_RE = re.compile(r"\b((?:crate|super|self)(?:::\w+)+)")
USE_GROUP_RE = re.compile(r"\buse\s+((?:crate|super|self)(?:::\w+)*)::\{([^;]*)\}", re.S)


def references(text):
    refs = [m.group(1).split("::") for m in PATH_RE.finditer(text)]
    for m in USE_GROUP_RE.finditer(text):
        base = m.group(1).split("::")
        for item in re.split(r"[,\s]+", m.group(2)):
            item = item.strip().split("::")[0]
            if item and item not in ("self", "*") and item.isidentifier():
                refs.append(base + [item])
    return refs


def check_cycles():
    mods = core_modules()
    graph = {m: set() for m in mods}
    for mod, path in mods.items():
        text = "".join(non_test_lines(path))
        # Drop comments so prose naming a path is not a reference.
        text = re.sub(r"//.*", "", text)
        for parts in references(text):
            target = resolve(mods, mod, parts)
            if target is None or target == mod or mod[: len(target)] == target:
                continue  # itself, or an ancestor (a folder's interface)
            graph[mod].add(target)
    # Tarjan's strongly connected components.
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(comp)

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    for comp in sccs:
        names = sorted("::".join(m) or "crate" for m in comp)
        problems.append("module cycle in provenant-core: " + " <-> ".join(names))


def check_file_sizes():
    for top in ("core/src", "cli/src", "wasm/src"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith(".rs") and name != "tests.rs":
                    path = os.path.join(dirpath, name)
                    n = len(non_test_lines(path))
                    if n > MAX_FILE_LINES:
                        rel = os.path.relpath(path, ROOT)
                        problems.append(f"{rel}: {n} lines of non-test code (at most {MAX_FILE_LINES})")


FN_RE = re.compile(r"^(\s*)(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?fn\s+(\w+)")


def check_command_functions():
    folder = os.path.join(ROOT, "cli", "src", "commands")
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        lines = non_test_lines(path)
        i = 0
        while i < len(lines):
            m = FN_RE.match(lines[i])
            if not m or lines[i].rstrip().endswith(";"):
                i += 1
                continue
            indent = m.group(1)
            end = i
            while end < len(lines) and not (lines[end].startswith(indent + "}") and
                                            len(lines[end].rstrip()) == len(indent) + 1):
                end += 1
            length = end - i + 1
            if length > MAX_COMMAND_FN_LINES:
                problems.append(f"cli/src/commands/{name}: fn {m.group(2)} is {length} lines "
                                f"(at most {MAX_COMMAND_FN_LINES})")
            i = end + 1


def check_machine_paths():
    staged = subprocess.run(["git", "ls-files", "-s", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.split(b"\0")
    for entry in staged:
        if entry.startswith(b"120000 "):  # a tracked symlink: it must not point at the machine
            rel = entry.split(b"\t", 1)[1]
            target = os.readlink(os.path.join(ROOT.encode(), rel))
            if os.path.isabs(target):
                problems.append(f"{rel.decode()}: a symlink to the absolute path {target.decode()}")
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.split(b"\0")
    pattern = re.compile(rb"(?<![\w.])/(?:work|root|home)/")
    for rel in files:
        if not rel or rel.endswith((b".jpg", b".png", b".webp", b".lock")) or rel == b"scripts/check-layout.py":
            continue
        try:
            with open(os.path.join(ROOT.encode(), rel), "rb") as f:
                data = f.read()
        except (IsADirectoryError, FileNotFoundError):
            continue
        for n, line in enumerate(data.split(b"\n"), 1):
            if pattern.search(line):
                problems.append(f"{rel.decode()}:{n}: an absolute machine path")


check_cycles()
check_file_sizes()
check_command_functions()
check_machine_paths()
for p in problems:
    print(p)
print(f"layout: {len(problems)} problem(s)" if problems else "layout: ok")
sys.exit(1 if problems else 0)
