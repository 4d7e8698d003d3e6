#!/usr/bin/env python3
"""The reference values of tests/unit/test_compare.c, by brute force:
the permutation Brunner-Munzel p (every way to choose the after runs, as
scipy.stats.brunnermunzel's statistic) and Benjamini-Hochberg's adjusted p.

    python3 tests/unit/bm_reference.py
"""
import itertools
import math
from fractions import Fraction


def midranks(v):
    s = sorted(v)
    return [sum(i + 1 for i, x in enumerate(s) if x == y) / s.count(y) for y in v]


def bm_t(x, y):
    nx, ny = len(x), len(y)
    rc = midranks(x + y)
    rcx, rcy = rc[:nx], rc[nx:]
    rx, ry = midranks(x), midranks(y)
    mx, my = sum(rcx) / nx, sum(rcy) / ny
    sx = sum((a - b - mx + (nx + 1) / 2) ** 2 for a, b in zip(rcx, rx)) / (nx - 1)
    sy = sum((a - b - my + (ny + 1) / 2) ** 2 for a, b in zip(rcy, ry)) / (ny - 1)
    v = nx * sx + ny * sy
    if v == 0:
        return math.copysign(1e300, my - mx) if my != mx else 0.0
    return nx * ny * (my - mx) / ((nx + ny) * math.sqrt(v))


def bm_perm_p(x, y):
    pool, n = x + y, len(x) + len(y)
    t = abs(bm_t(x, y))
    hits = total = 0
    for ia in itertools.combinations(range(n), len(y)):
        a = [pool[i] for i in ia]
        b = [pool[i] for i in range(n) if i not in ia]
        hits += abs(bm_t(b, a)) >= t * (1 - 1e-9)
        total += 1
    return Fraction(hits, total)


def bh(p):
    n, order = len(p), sorted(range(len(p)), key=lambda i: p[i])
    adj, run = [0.0] * n, 1.0
    for rank in range(n, 0, -1):
        i = order[rank - 1]
        run = min(run, p[i] * n / rank)
        adj[i] = run
    return adj


if __name__ == "__main__":
    print("5+5 U=2:", bm_perm_p([1, 2, 3, 4, 5], [0.1, 0.2, 0.3, 1.5, 1.6]))
    print("spread:", float(bm_perm_p([0.1, 0.2, 5, 30, 60], [4.6, 4.8, 4.9, 5.1, 5.2, 5.4])))
    print("BH:", bh([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216]))
