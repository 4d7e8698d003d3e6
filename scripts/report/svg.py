"""Strip plots as self-contained SVG: one dot per boot, one column per kernel."""

import math
from xml.sax.saxutils import escape

COLORS = {"before": "#1f77b4", "after": "#ff7f0e", "stock": "#2ca02c"}
OTHER = ("#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
COL = 80  # px per kernel column: "before" and "12 boots" at 11 px fit in 60


def color(label, i):
    return COLORS.get(label, OTHER[i % len(OTHER)])


def fmt_ns(v):
    for unit, div in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if v >= div:
            return "%g %s" % (float("%.3g" % (v / div)), unit)
    return "%g ns" % float("%.3g" % v)


def log_ticks(lo, hi):
    """1-2-5 ticks covering [lo, hi] (lo > 0); where fewer than 3 of them
    fall inside (a narrow range: the instruction-driven clock's boots agree
    to a few %), evenly spaced 1-2-2.5-5 steps instead."""
    ticks = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi * 1.0001:
        ticks += [m * 10 ** e for m in (1, 2, 5) if lo * 0.9999 <= m * 10 ** e <= hi * 1.0001]
        e += 1
    if len(ticks) >= 3:
        return ticks
    mag = 10 ** math.floor(math.log10((hi - lo) / 6))
    for step in (m * mag for m in (1, 2, 2.5, 5, 10, 20)):
        even = [k * step for k in range(math.ceil(lo / step), math.floor(hi / step) + 1)]
        if len(even) <= 6:
            return even or [lo, hi]
    return [lo, hi]


def strip_plot(title, panels, unit_fmt=fmt_ns):
    """PANELS: [(panel title, [(kernel label, [values])])] -> SVG text.

    Values <= 0 or None are left out (a log axis), and a panel without any
    value too; each panel has its own axis. Dots are spread sideways by their
    index, so equal values stay visible. Each column is COL px wide at least,
    its label on two lines (kernel, boots), so labels never run together."""
    panels = [(t, cols) for t, cols in panels if any(v and v > 0 for _, vs in cols for v in vs)]
    ncol = max([len(cols) for _, cols in panels] or [1])
    pw, ph, left, top, bottom, gap = max(170, COL * ncol), 220, 64, 36, 52, 70
    width = left + (pw + gap) * max(1, len(panels))
    height = top + ph + bottom
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="16" font-size="13">%s</text>' % (left, escape(title))]
    for p, (ptitle, columns) in enumerate(panels):
        x0 = left + p * (pw + gap)
        vals = [v for _, vs in columns for v in vs if v and v > 0]
        out.append('<text x="%d" y="%d">%s</text>' % (x0 + 8, top - 6, escape(ptitle)))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>'
                   % (x0, top, pw, ph))
        lo, hi = min(vals) / 1.3, max(vals) * 1.3
        span = math.log(hi / lo)

        def y(v):
            return top + ph - (math.log(v / lo) / span) * ph

        for t in log_ticks(lo, hi):
            out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>'
                       % (x0, x0 + pw, y(t), y(t)))
            out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>'
                       % (x0 - 3, y(t) + 4, escape(unit_fmt(t))))
        cw = pw / max(1, len(columns))
        for c, (label, vs) in enumerate(columns):
            cx = x0 + cw * (c + 0.5)
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                       % (cx, top + ph + 16, escape(label)))
            out.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%d boot%s</text>'
                       % (cx, top + ph + 30, len(vs), "" if len(vs) == 1 else "s"))
            for i, v in enumerate(vs):
                if not v or v <= 0:
                    continue
                dx = ((i % 7) - 3) * 4
                out.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s" fill-opacity="0.8">'
                           '<title>%s boot %d: %s</title></circle>'
                           % (cx + dx, y(v), color(label, c), escape(label), i + 1,
                              escape(unit_fmt(v))))
    if not panels:
        out.append('<text x="%d" y="%d">no values in any panel</text>' % (left, top + ph / 2))
    out.append("</svg>")
    return "\n".join(out) + "\n"
