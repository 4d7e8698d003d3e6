# SPDX-License-Identifier: GPL-2.0
"""The benchmarks' Python (docs/performance.md)."""


def read_lines(path):
    """A file's lines, the file closed again (an open file left to the garbage
    collector warns, and the warning lands inside unittest's -v lines)."""
    with open(path) as f:
        return f.readlines()


def read_text(path):
    with open(path) as f:
        return f.read()
