"""Responsiveness of every course demo: how long a learner waits after moving one control.

For every demo in ``tests/widget_drive.py`` and each of its controls, the control alone (the others
at their defaults) is moved ``--moves`` times through its range (``control_values``: min, max and
evenly spaced values of its step grid; every option of a Dropdown, both states of a Checkbox), and
each move is timed as the notebook does the work, by ``demo.update(control=value)`` (Demo.refresh
renders the PNG headless too):

    draw    the demo's draw(**values) callback
    png     the rest of the update: rendering the figure to the PNG the notebook displays
    redraw  the whole update, draw + png, per move (wall clock; and the process's CPU time)

Prints one table per demo with p50/p95 in ms; ``--write`` also writes benchmarks/results/widgets.md
with the machine, the versions and the date. Target: redraw p95 ≤ 100 ms (goal ≤ 30 ms). Controls
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
from widget_drive import DEMOS, control_values  # noqa: E402

RESULTS = HERE / "results" / "widgets.md"
TARGET, GOAL = 100.0, 30.0  # ms, redraw p95
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
    draw callback, then the PNG rendering (headless too), less only sending the image to the
    browser. Wall-clock times are what a learner waits; the CPU time of this process leaves out the
    time spent waiting for a core, so wall ≫ CPU means a busy machine and wall ≈ CPU that the work
    itself takes that long."""
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
        for value in moves(demo.controls[name], n):
            spent.clear()
            start = time.perf_counter(), time.process_time()
            demo.update(**{name: value})
            wall, cpu = time.perf_counter() - start[0], time.process_time() - start[1]
            if demo.last_error is not None:
                raise RuntimeError(f"{name}={value!r} raised {demo.last_error!r}")
            timings.append((1e3 * sum(spent), 1e3 * (wall - sum(spent)), 1e3 * cpu))
    finally:
        demo.draw = draw
    return timings


def bench_demo(builder, n):
    """(build ms, [row per control]) with p50/p95 of draw, png, redraw and redraw CPU time in ms."""
    start = time.perf_counter()
    demo = builder()
    build = 1e3 * (time.perf_counter() - start)
    defaults, rows = demo.values, []
    try:
        for name, control in demo.controls.items():
            demo.update(**defaults)
            timings = np.array(time_control(demo, name, n))
            draw, png, cpu = timings.T
            total = draw + png
            kinds = (("draw", draw), ("png", png), ("redraw", total), ("cpu", cpu))
            rows.append({"control": name, "type": type(control).__name__, "moves": len(total),
                         "continuous": getattr(control, "continuous_update", None),
                         **{f"{label} p{q}": float(np.percentile(x, q))
                            for label, x in kinds for q in (50, 95)}})
    finally:
        plt.close(demo.fig)
    return build, rows


def verdict(p95):
    return "goal" if p95 <= GOAL else "ok" if p95 <= TARGET else "MISSES TARGET"


def table(name, build, rows):
    """A markdown table for one demo."""
    lines = [f"### {name} (built in {build:.0f} ms)", "",
             "| control | type | continuous_update | moves | draw p50 / p95 | png p50 / p95 "
             "| redraw p50 / p95 | redraw CPU p50 / p95 | redraw p95 vs 100 ms target |",
             "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        cont = {True: "yes", False: "no (on release)", None: "–"}[r["continuous"]]
        pairs = " | ".join(f"{r[f'{x} p50']:.0f} / {r[f'{x} p95']:.0f}"
                           for x in ("draw", "png", "redraw", "cpu"))
        lines.append(f"| {r['control']} | {r['type']} | {cont} | {r['moves']} | {pairs} | "
                     f"{verdict(r['redraw p95'])} |")
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
        misses += [f"{name}.{r['control']} (redraw p95 {r['redraw p95']:.0f} ms, "
                   f"CPU {r['cpu p95']:.0f} ms)" for r in rows if r["redraw p95"] > TARGET]
    summary = ("Every control meets the 100 ms target." if not misses
               else "Controls missing the 100 ms target: " + "; ".join(misses) + ".")
    print(summary, f"({time.perf_counter() - started:.0f} s)")
    if args.write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(
            "# Widget responsiveness\n\n"
            "Time from a control move to a new PNG of the figure, measured in the kernel (no "
            f"browser), {args.moves} moves per control through its range, the other controls at "
            "their defaults. draw = the demo's draw callback; png = the rest of demo.update, "
            "rendering the PNG the notebook displays; redraw = draw + png per move, in wall-clock "
            "time and in CPU time of the process (which leaves out waiting for a core: wall ≫ CPU "
            "means the machine was busy). All times in ms. "
            f"Target redraw p95 ≤ {TARGET:.0f} ms, goal ≤ {GOAL:.0f} ms.\n\n"
            "Made by `.venv/bin/python benchmarks/bench_widgets.py "
            f"--moves {args.moves} --write` on "
            f"{machine.describe(PACKAGES, 'end')}; matplotlib backend Agg.\n\n"
            f"{summary}\n\n" + "\n".join(sections))
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
