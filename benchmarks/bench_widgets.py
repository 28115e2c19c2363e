"""Responsiveness of every course demo: how long a learner waits after moving one control.

For every demo in ``tests/widget_drive.py`` and each of its controls, the control alone (the others
at their defaults) is moved ``--moves`` times through its range (``control_values``: min, max and
evenly spaced values of its step grid; every option of a Dropdown, both states of a Checkbox), and
each move is timed as the notebook does the work, by ``demo.update(control=value)`` (Demo.refresh
renders on the ipympl canvas headless too). Where θ can be dragged, each landscape gets a drag of
``--moves`` mouse events (``widget_drive.mouse``: press, moves corner to corner and back, release),
each event timed the same way:

    draw    the demo's draw(**values) callback
    png     the rest: rendering the figure and the PNG of what changed that ipympl sends
    redraw  the whole update, draw + png, per move or event (wall clock; and the CPU time)

Prints one table per demo with p50/p95 in ms; ``--write`` also writes benchmarks/results/widgets.md
with the machine, the versions and the date. Target: redraw CPU p95 ≤ 100 ms (goal ≤ 30 ms): the
compute per move or event, which a busy machine does not inflate (the wall clock is shown too). Controls
with continuous_update=False redraw once on release, not during a drag; their number is reported
alongside.

    .venv/bin/python benchmarks/bench_widgets.py [--moves 30] [--demo NAME ...] [--write]
"""
import argparse
import itertools
import pathlib
import sys
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

import machine  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the demo list the widget sweep test drives too
from widget_drive import DEMOS, control_values, mouse  # noqa: E402

RESULTS = HERE / "results" / "widgets.md"
TARGET, GOAL = 100.0, 30.0  # ms, redraw CPU p95
PACKAGES = ("numpy", "autograd", "matplotlib", "ipywidgets", "scipy")


def moves(control, n):
    """n values for ``control``, each different from the one before (its value list, repeated)."""
    values = control_values(control, n)
    out, last = [], control.value
    for value in itertools.cycle(values):
        if len(out) == n:
            return out
        if value != last:
            out.append(value)
            last = value
        elif len(set(map(repr, values))) < 2:
            raise ValueError(f"{control.description!r} has a single value: nothing to move")


def time_control(demo, name, n):
    """[(draw ms, png ms, redraw CPU ms)] for n moves of control ``name``, starting from the demo's
    defaults.

    A move is timed as ``demo.update(name=value)``, which runs Demo.refresh as in a notebook: the
    draw callback, then the rendering of the figure and the PNG of what changed that ipympl sends
    (headless too), less only sending it to the browser. Wall-clock times are what a learner waits;
    the CPU time of this process leaves out the time spent waiting for a core, so wall ≫ CPU means
    a busy machine and wall ≈ CPU that the work itself takes that long."""
    return time_events(demo, [lambda value=value: demo.update(**{name: value})
                              for value in moves(demo.controls[name], n)])


def drag_events(demo, ax, n):
    """The mouse events of a drag on ``ax``: press at the middle, n moves from one corner of the
    plotted range to the opposite one and back, release; each a function sending one event."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    t = np.concatenate([np.linspace(0, 1, n // 2), np.linspace(1, 0, n - n // 2)])
    path = [(x0 + (x1 - x0) * s, y0 + (y1 - y0) * s) for s in t]
    kinds = ["press"] + ["move"] * n + ["release"]
    points = [((x0 + x1) / 2, (y0 + y1) / 2)] + path + path[-1:]
    return [lambda kind=kind, p=p: mouse(demo, kind, ax, *p) for kind, p in zip(kinds, points)]


def click_events(demo, ax, n):
    """The clicks of a learner placing points on an empty ``ax``: n clicks along the diagonal of
    its plotted range (each adds a point), then the same n again (each removes its point)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    points = [(x0 + (x1 - x0) * s, y0 + (y1 - y0) * s) for s in np.linspace(0.05, 0.95, n)]
    return [lambda p=p: mouse(demo, "press", ax, *p) for p in points + points]


def time_events(demo, events):
    """[(draw ms, png ms, redraw CPU ms)] per event (a function that sends it). Every mouse event
    is drawn, as if the previous redraw had ended long ago (the drag throttle, which drops moves
    that come during and just after a redraw, is left out: each time is that of a drawn event)."""
    timings, spent = [], []
    draw = demo.draw

    def timed_draw(**values):
        start = time.perf_counter()
        try:
            return draw(**values)
        finally:
            spent.append(time.perf_counter() - start)

    demo.draw = timed_draw
    try:
        for event in events:
            spent.clear()
            demo._ready = 0.0  # the drag throttle off: this event is drawn
            start = time.perf_counter(), time.process_time()
            event()
            wall, cpu = time.perf_counter() - start[0], time.process_time() - start[1]
            if demo.last_error is not None:
                raise RuntimeError(f"{event} raised {demo.last_error!r}")
            timings.append((1e3 * sum(spent), 1e3 * (wall - sum(spent)), 1e3 * cpu))
    finally:
        demo.draw = draw
    return timings


def bench_demo(builder, n):
    """(build ms, [row per control]) with p50/p95 of draw, png, redraw and redraw CPU time in ms."""
    start = time.perf_counter()
    demo = builder()
    build = 1e3 * (time.perf_counter() - start)
    demo.fig.canvas.syncing_data_url = False  # as once a browser shows the figure
    defaults, rows = demo.values, []

    def row(name, kind, continuous, timings):
        draw, png, cpu = np.array(timings).T
        total = draw + png
        kinds = (("draw", draw), ("png", png), ("redraw", total), ("cpu", cpu))
        rows.append({"control": name, "type": kind, "moves": len(total), "continuous": continuous,
                     **{f"{label} p{q}": float(np.percentile(x, q))
                        for label, x in kinds for q in (50, 95)}})

    try:
        for name, control in demo.controls.items():
            demo.update(**defaults)
            row(name, type(control).__name__, getattr(control, "continuous_update", None),
                time_control(demo, name, n))
        for k, ax in enumerate(getattr(demo, "drag", (None, []))[1]):
            demo.update(**defaults)
            row(f"drag θ on axes {k}", "mouse", True, time_events(demo, drag_events(demo, ax, n)))
        for k, ax in enumerate(getattr(demo, "clickable", [])):
            demo.update(**defaults)
            demo.buttons["clear"].click()
            row(f"click a point on axes {k} (add 10, remove 10)", "mouse", True,
                time_events(demo, click_events(demo, ax, 10)))
    finally:
        plt.close(demo.fig)
    return build, rows


def verdict(p95):
    return "goal" if p95 <= GOAL else "ok" if p95 <= TARGET else "MISSES TARGET"


def table(name, build, rows):
    """A markdown table for one demo."""
    lines = [f"### {name} (built in {build:.0f} ms)", "",
             "| control | type | continuous_update | moves | draw p50 / p95 | png p50 / p95 "
             "| redraw p50 / p95 | redraw CPU p50 / p95 | redraw CPU p95 vs 100 ms target |",
             "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        cont = {True: "yes", False: "no (on release)", None: "–"}[r["continuous"]]
        pairs = " | ".join(f"{r[f'{x} p50']:.0f} / {r[f'{x} p95']:.0f}"
                           for x in ("draw", "png", "redraw", "cpu"))
        lines.append(f"| {r['control']} | {r['type']} | {cont} | {r['moves']} | {pairs} | "
                     f"{verdict(r['cpu p95'])} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=30, help="moves per control (default 30)")
    parser.add_argument("--demo", nargs="*", choices=sorted(DEMOS), metavar="NAME",
                        help="only these demos (default: all)")
    parser.add_argument("--write", action="store_true",
                        help=f"write {RESULTS.relative_to(RESULTS.parents[2])}")
    args = parser.parse_args()
    names = args.demo or sorted(DEMOS)
    sections, misses, started = [], [], time.perf_counter()
    for name in names:
        build, rows = bench_demo(DEMOS[name], args.moves)
        sections.append(table(name, build, rows))
        print(sections[-1], flush=True)
        misses += [f"{name}.{r['control']} (redraw CPU p95 {r['cpu p95']:.0f} ms, wall "
                   f"{r['redraw p95']:.0f} ms)" for r in rows if r["cpu p95"] > TARGET]
    summary = ("Every control meets the 100 ms target." if not misses
               else "Controls missing the 100 ms target: " + "; ".join(misses) + ".")
    print(summary, f"({time.perf_counter() - started:.0f} s)")
    if args.write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(
            "# Widget responsiveness\n\n"
            "Time from a control move or a mouse event to the new picture of the figure, measured "
            f"in the kernel (no browser), {args.moves} moves per control through its range, the "
            "other controls at their defaults, and for each landscape where θ can be dragged a "
            f"drag of {args.moves} mouse moves (with the press and the release), corner to corner "
            "of the plotted range, every event drawn (the drag throttle off). draw = the demo's "
            "draw callback; png = the rest of the update, rendering the figure on its ipympl "
            "canvas and the PNG of what changed that it sends; redraw = draw + png per event, "
            "in wall-clock "
            "time and in CPU time of the process (which leaves out waiting for a core: wall ≫ CPU "
            "means the machine was busy). All times in ms. "
            f"Target: redraw CPU p95 ≤ {TARGET:.0f} ms of compute, goal ≤ {GOAL:.0f} ms.\n\n"
            "Made by `.venv/bin/python benchmarks/bench_widgets.py "
            f"--moves {args.moves} --write` on "
            f"{machine.describe(PACKAGES, 'end')}; matplotlib backend Agg.\n\n"
            f"{summary}\n\n" + "\n".join(sections))
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
