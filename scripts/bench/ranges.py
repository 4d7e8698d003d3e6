# SPDX-License-Identifier: GPL-2.0
"""python3 -m scripts.bench.ranges SYSTEM_MAP SYMBOL...: the address ranges
of kernel functions, for tools/insn-count's ranges=FILE (scripts/bench/bench-insns.sh).

Prints "NAME START END" per symbol found in SYSTEM_MAP, END being the next
higher address of any symbol there (a function's size and its alignment
padding, which never runs). A symbol that is not there (inlined, or another
kernel) is left out and said on stderr; a name given twice, or mapped twice,
is an error (exit 1).
"""
import sys


def read_map(lines):
    """System.map lines -> ({name: [addr, ...]}, sorted distinct addresses)."""
    addrs = {}
    for line in lines:
        f = line.split()
        if len(f) < 3:
            continue
        try:
            a = int(f[0], 16)
        except ValueError:
            continue
        addrs.setdefault(f[2], []).append(a)
    return addrs, sorted({a for v in addrs.values() for a in v})


def ranges(lines, names):
    """-> ([(name, start, end)], [missing names]); ValueError if ambiguous."""
    addrs, sorted_addrs = read_map(lines)
    import bisect
    out, missing = [], []
    for n in names:
        if n not in addrs:
            missing.append(n)
            continue
        if len(addrs[n]) != 1:
            raise ValueError(f"{n} is at {len(addrs[n])} addresses")
        a = addrs[n][0]
        i = bisect.bisect_right(sorted_addrs, a)
        if i == len(sorted_addrs):
            raise ValueError(f"{n}: no symbol after it, so no end")
        out.append((n, a, sorted_addrs[i]))
    if len(set(names)) != len(names):
        raise ValueError("a name is given twice")
    return out, missing


def main(argv):
    if len(argv) < 3:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        try:
            rs, missing = ranges(f, argv[2:])
        except ValueError as e:
            print(f"ranges: {argv[1]}: {e}", file=sys.stderr)
            return 1
    for n in missing:
        print(f"ranges: {n} is not in {argv[1]}", file=sys.stderr)
    for n, a, b in rs:
        print(f"{n} {a:#x} {b:#x}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
