#!/usr/bin/env python3
"""include_graph.py - the #include lines of src/ and include/ follow the layers.

Every `#include "..."` of src/**/*.c, src/**/*.h and include/**/*.h is read. A
file's layer is its folder (src/<layer>/X.c, include/<layer>/X.h); its module
is <layer>/X (X.c and X.h together). The check fails on
  - a layer including a header of a layer it may not (ALLOWED below), printed
    as `file: includes X (layer a may not include layer b)`;
  - a cycle of modules including each other (a.c includes b.h and b.c
    includes a.h, or longer), printed as `cycle: a -> b -> a` with the lines;
  - an include that names no header of the tree, or a file outside a layer.
include/config.h and include/banned.h may be included by everyone.

Usage: python3 tests/include_graph.py [--root DIR] [--graph]
  --graph  also print the layer graph: each layer, the layers it includes
           (with the number of #include lines) and what it may include
Exit 0 when the graph is clean, 1 otherwise.
"""
import argparse
import os
import re
import sys

# layer -> (layers it may include besides itself, {layer: headers} when only
# some headers of that layer are allowed). The direction: app -> http ->
# pipeline -> tshark / chart / render / store -> proc -> base.
ALLOWED = {
    "base": (set(), {}),
    "proc": ({"base"}, {}),
    "tshark": ({"base", "proc"}, {}),
    "chart": ({"base"}, {"tshark": {"tshark/fields.h", "tshark/catalog.h"}}),
    "store": ({"base", "proc"}, {}),
    "render": ({"base", "chart"}, {"tshark": {"tshark/capinfo.h"}}),
    "pipeline": ({"base", "proc", "tshark", "chart", "store", "render"}, {}),
    "conf": ({"base", "chart"}, {}),
    "http": ({"base", "conf", "chart", "pipeline"}, {}),
    "app": (None, {}),  # anything
}
EVERYONE = {"config.h", "banned.h"}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(root):
    """Paths (relative to root) of the C files of src/ and include/."""
    out = []
    for top, exts in (("src", (".c", ".h")), ("include", (".h",))):
        for dirpath, dirs, names in os.walk(os.path.join(root, top)):
            dirs.sort()
            for name in sorted(names):
                if name.endswith(exts):
                    out.append(os.path.relpath(os.path.join(dirpath, name), root))
    return [p.replace(os.sep, "/") for p in out]


def layer_of(rel):
    """'src/http/http.c' -> 'http'; 'include/config.h' -> None (everyone's)."""
    parts = rel.split("/")
    return parts[1] if len(parts) == 3 else None


def module_of(rel):
    parts = rel.split("/")
    return parts[1] + "/" + os.path.splitext(parts[2])[0] if len(parts) == 3 else parts[-1]


def resolve(root, rel, name):
    """The included file, relative to root: beside the includer, else under include/."""
    for cand in (os.path.join(os.path.dirname(rel), name), os.path.join("include", name)):
        if os.path.isfile(os.path.join(root, cand)):
            return os.path.normpath(cand).replace(os.sep, "/")
    return None


def may_include(layer, target_layer, name):
    if layer == target_layer or name in EVERYONE:
        return True
    layers, some = ALLOWED[layer]
    if layers is None or target_layer in layers:
        return True
    return name in some.get(target_layer, set())


def cycles(edges):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
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
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def one_cycle(comp, edges):
    """A shortest path around the component from its first module back to it."""
    start = comp[0]
    prev, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges.get(v, ())):
                if w == start:
                    path = [v]
                    while prev[path[-1]] is not None:
                        path.append(prev[path[-1]])
                    return list(reversed(path)) + [start]
                if w in comp and w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return comp + [start]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--graph", action="store_true", help="print the layer graph")
    args = ap.parse_args()

    problems = []
    module_edges, edge_lines, layer_edges = {}, {}, {}
    files = sources(args.root)
    for rel in files:
        layer = layer_of(rel)
        if layer is None:
            if os.path.basename(rel) not in EVERYONE:
                problems.append(f"{rel}: not in a layer folder")
            continue
        if layer not in ALLOWED:
            problems.append(f"{rel}: unknown layer '{layer}' (add it to ALLOWED)")
            continue
        text = open(os.path.join(args.root, rel), encoding="utf-8", errors="replace").read()
        for m in INCLUDE_RE.finditer(text):
            name = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            target = resolve(args.root, rel, name)
            if target is None:
                problems.append(f"{rel}:{line}: includes {name} (no such header in the tree)")
                continue
            tlayer = layer_of(target)
            if tlayer is None:
                continue  # config.h, banned.h
            key = (layer, tlayer)
            layer_edges[key] = layer_edges.get(key, 0) + 1
            if not may_include(layer, tlayer, name):
                problems.append(f"{rel}: includes {name} "
                                f"(layer {layer} may not include layer {tlayer})")
            a, b = module_of(rel), module_of(target)
            if a != b:
                module_edges.setdefault(a, set()).add(b)
                edge_lines.setdefault((a, b), f"{rel}:{line}")
    for comp in cycles(module_edges):
        path = one_cycle(comp, module_edges)
        where = ", ".join(edge_lines[(path[i], path[i + 1])] for i in range(len(path) - 1))
        problems.append(f"cycle: {' -> '.join(path)} ({where})")

    if args.graph:
        print("layer graph (layer -> layers it includes, #include lines; allowed):")
        for layer in ALLOWED:
            used = sorted((t, n) for (f, t), n in layer_edges.items() if f == layer and t != layer)
            layers, some = ALLOWED[layer]
            allowed = "anything" if layers is None else " ".join(
                sorted(layers) + [h for hs in some.values() for h in sorted(hs)]) or "nothing"
            got = " ".join(f"{t}({n})" for t, n in used) or "-"
            print(f"  {layer:9} -> {got}")
            print(f"  {'':9}    may: {allowed}")
        print()
    for p in problems:
        print(p)
    print(f"include_graph: {len(files)} files, "
          f"{sum(layer_edges.values())} project includes, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
