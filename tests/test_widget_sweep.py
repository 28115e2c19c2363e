"""Every control of every course demo, driven headless through its extremes, random values and
combinations.

For each demo in ``widget_drive.DEMOS`` (one test per demo, so a failure names it): build it, then
set each control alone to its minimum, its maximum and a few seeded random values on its step grid
(every option of a Dropdown/ToggleButtons, both states of a Checkbox, base**min and base**max of a
FloatLogSlider); then all controls at their minimum at once, all at their maximum, each control at
one extreme with all the others at the other, and random joint settings; and press every button, at
the defaults and at both extremes. After every setting the demo must have

* raised nothing (``demo.last_error`` is None),
* drawn only finite numbers (line data, collection offsets/paths/arrays/sizes, quiver U/V, images,
  text positions, patches; no "nan"/"inf" in any visible text),
* kept every axis' limits, and the number of axes, exactly as built,
* shown, if anything, a readable message (a non-blank string with no nan/inf, no object reprs).

Each demo that lets the learner drag θ (``demo.drag``: the two θ controls and the landscape axes)
is also driven with the mouse on every landscape: a click at each corner, a click outside every
axes (which must change nothing), a drag from beyond one corner across the whole range to beyond
the opposite one (θ clamped to the sliders' range, the sliders following every event), and a click
sent while a redraw runs (drawn after it, not lost).

Each test prints how many controls, settings and button presses it drove (see them with
``pytest -s``); the totals over all demos are printed at the end of the module whatever the capture
mode.
"""
import itertools
import json
import pathlib
import pkgutil
import re
import time
import traceback

import matplotlib

matplotlib.use("Agg")  # headless, and the same renderer the inline backend uses for PNGs

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.collections import Collection  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.quiver import Quiver  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import mamlkit.demos  # noqa: E402
from mamlkit.demos.base import snap  # noqa: E402
from widget_drive import DEMOS, control_values, drag, dragged, mouse  # noqa: E402

SEED = 0
N_RANDOM = 4  # random values per control, besides its min and max
N_JOINT = 8  # random joint settings of all controls
NON_FINITE_WORD = re.compile(r"(?<!\w)[-+]?(nan|inf)(?!\w)", re.IGNORECASE)
OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>|\barray\(|<function ")


def visible_artists(artist):
    """``artist`` and its descendants, skipping invisible subtrees (what is hidden is not drawn)."""
    if not artist.get_visible():
        return
    yield artist
    for child in artist.get_children():
        yield from visible_artists(child)


def drawn_arrays(artist):
    """The numbers ``artist`` puts on screen, as arrays (masked entries, which are not drawn, left
    out)."""
    if isinstance(artist, Line2D):
        yield artist.get_xydata()
    elif isinstance(artist, Collection):
        yield artist.get_offsets()
        if hasattr(artist, "get_sizes"):  # scatter markers
            yield artist.get_sizes()
        if artist.get_array() is not None:
            yield np.ma.compressed(artist.get_array())
        for path in artist.get_paths():
            yield path.vertices
        if isinstance(artist, Quiver):
            yield np.ma.compressed(artist.U)
            yield np.ma.compressed(artist.V)
    elif isinstance(artist, AxesImage):
        yield np.ma.compressed(artist.get_array())
        yield np.asarray(artist.get_extent())
    elif isinstance(artist, Text):
        yield np.asarray(artist.get_position(), dtype=float)
    elif isinstance(artist, Patch):
        yield artist.get_path().vertices
        yield from artist.get_verts()


def drawing_problems(fig):
    """What is non-finite in the visible artists of ``fig``: a list of short descriptions."""
    problems = []
    for artist in visible_artists(fig):
        for values in drawn_arrays(artist):
            values = np.asarray(values, dtype=float)
            if values.size and not np.all(np.isfinite(values)):
                problems.append(f"{type(artist).__name__} {artist.get_label() or ''} draws "
                                f"{np.count_nonzero(~np.isfinite(values))} non-finite numbers")
                break
        if isinstance(artist, Text) and NON_FINITE_WORD.search(artist.get_text()):
            problems.append(f"text {artist.get_text()!r} shows a non-finite number")
    return problems


def message_problems(message):
    """Why the message under the figure is not readable ([] if it is fine or empty)."""
    if not isinstance(message, str):
        return [f"message is a {type(message).__name__}, not a string"]
    if message and not message.strip():
        return ["message is blank (only whitespace)"]
    problems = []
    if NON_FINITE_WORD.search(message):
        problems.append(f"message shows a non-finite number: {message!r}")
    if OBJECT_REPR.search(message):
        problems.append(f"message shows a Python object repr: {message!r}")
    if any(not (ch.isprintable() or ch in "\n\t") for ch in message):
        problems.append(f"message has unprintable characters: {message!r}")
    return problems


def axes_state(fig):
    """The limits of every axes of ``fig`` (the figure's fixed frame): ((x0, x1), (y0, y1))."""
    return [tuple(tuple(map(float, limits)) for limits in (ax.get_xlim(), ax.get_ylim()))
            for ax in fig.axes]


def demo_problems(demo, frame):
    """Everything wrong with the demo's current state, given the frame recorded when built."""
    if demo.last_error is not None:
        return ["raised " + "".join(traceback.format_exception(demo.last_error)).strip()]
    problems = drawing_problems(demo.fig) + message_problems(demo.message_text)
    now = axes_state(demo.fig)
    if len(now) != len(frame):
        problems.append(f"the figure has {len(now)} axes, {len(frame)} when built")
    elif now != frame:
        moved = [f"axes {i}: (x, y) limits {before} when built, now {after}"
                 for i, (before, after) in enumerate(zip(frame, now)) if before != after]
        problems.append("axis limits moved: " + "; ".join(moved))
    return problems


DRAGGED = {"meta_loss_landscape", "two_task_arrows", "curvature_explorer", "reptile_interpolation",
           "imaml_regularised", "imaml_implicit_gradient", "meta_gradient_comparison"}
N_DRAG = 24  # moves of the drag across each landscape


def test_a_demo_is_a_live_canvas_with_a_picture_for_pages_without_widgets():
    """The mime bundle: the widget (an ipympl canvas inside) for JupyterLab, and a PNG of the figure
    as drawn for a repository page or the website; the pyplot backend is left as it was."""
    import base64
    import io

    import PIL.Image

    assert matplotlib.get_backend().lower() == "agg"  # importing the demos (ipympl) kept it
    demo = DEMOS["two_task_arrows"]()
    try:
        bundle = demo._repr_mimebundle_()
        assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == demo.widget.model_id
        assert demo.fig.canvas in demo.widget.children
        picture = PIL.Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
        assert picture.size == tuple(int(v) for v in demo.fig.bbox.size)
        assert demo.fig.canvas._data_url.startswith("data:image/png;base64,")
        assert demo.fig.canvas.toolbar_visible is False  # no pan or zoom: the axes stay fixed
    finally:
        plt.close(demo.fig)


def canvases_in(state, model):
    """The ipympl canvases among the widget ``model`` and its descendants in a notebook's state."""
    entry = state.get(model, {})
    children = [c.removeprefix("IPY_MODEL_") for c in entry.get("state", {}).get("children", [])]
    own = [model] if entry.get("model_name") == "MPLCanvasModel" else []
    return own + [c for child in children for c in canvases_in(state, child)]


def test_stored_notebooks_keep_a_picture_of_every_figure():
    """Each stored output that shows a demo's canvas has an image/png beside the widget (what a
    repository page and the website show), and each canvas in the widget state has its picture
    and size (what a page rendering the stored widgets shows, e.g. nbconvert's HTML)."""
    notebooks = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
    checked = 0
    for path in notebooks:
        notebook = json.loads(path.read_text())
        state = notebook["metadata"].get("widgets", {}).get(
            "application/vnd.jupyter.widget-state+json", {}).get("state", {})
        for cell in notebook["cells"]:
            for output in cell.get("outputs", []):
                view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
                for canvas in canvases_in(state, view["model_id"]) if view else []:
                    checked += 1
                    assert "image/png" in output["data"], f"{path.name}: a figure with no picture"
                    saved = state[canvas]["state"]
                    assert saved["_data_url"].startswith("data:image/png;base64,"), path.name
                    assert min(saved["_size"]) > 0, path.name
    assert checked >= 7  # the landscapes of 01–06 at least


def test_every_two_parameter_landscape_can_be_dragged():
    assert {name for name, build in DEMOS.items() if name in DRAGGED} == DRAGGED
    for name in DRAGGED:
        demo = DEMOS[name]()
        try:
            assert len(demo.drag[0]) == 2 and demo.drag[1], name
            assert all(ax in demo.fig.axes for ax in demo.drag[1]), name
        finally:
            plt.close(demo.fig)


def expected(demo, ax, x, y):
    """The θ controls' values after a press at data point (x, y) of ``ax``: at the whole pixel
    a mouse event reports, clamped to the sliders' range, on their step grid."""
    pixel = np.trunc(ax.transData.transform((x, y)))
    point = ax.transData.inverted().transform(pixel)
    return tuple(snap(demo.controls[name], v) for name, v in zip(demo.drag[0], point))


def mouse_failures(demo, frame):
    """Drive ``demo``'s landscapes with the mouse; a list of what went wrong."""
    failures = []
    for k, ax in enumerate(demo.drag[1]):
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        dx, dy = x1 - x0, y1 - y0
        inside = ((x0 + dx / 500, x1 - dx / 500), (y0 + dy / 500, y1 - dy / 500))
        for x, y in itertools.product(*inside):  # the corners, just inside the frame
            followed = drag(demo, ax, [(x, y)])
            if followed[-1] != expected(demo, ax, x, y):
                failures.append(f"axes {k}: a click at ({x:g}, {y:g}) set {followed[-1]}")
            if demo._drawn != demo.values:
                failures.append(f"axes {k}: the click at ({x:g}, {y:g}) was not drawn")
            failures += [f"axes {k}, click at ({x:g}, {y:g}): {p}"
                         for p in demo_problems(demo, frame)]
        before = demo.values
        for kind in ("press", "move", "release"):
            mouse(demo, kind, None, 1, 1)  # the figure's bottom-left pixel: outside every axes
        if demo.values != before or demo.last_error is not None:
            failures.append(f"a click outside the axes changed {demo.values} or raised")
        # from the middle to beyond one corner, then across to beyond the opposite one
        line = [(x0 + dx / 2, y0 + dy / 2)] + [(x0 - dx / 2 + 2 * dx * t, y0 - dy / 2 + 2 * dy * t)
                                               for t in np.linspace(0, 1, N_DRAG)]
        followed = drag(demo, ax, line)
        want = [expected(demo, ax, *p) for p in line] + [expected(demo, ax, *line[-1])]
        if followed != want:
            failures.append(f"axes {k}: the sliders did not follow the drag: {followed} != {want}")
        if followed[-1] != expected(demo, ax, x1, y1) or demo._drawn != demo.values:
            failures.append(f"axes {k}: a drag beyond the range ended at {followed[-1]}, drawn "
                            f"{demo._drawn == demo.values}")
        failures += [f"axes {k}, after the drag: {p}" for p in demo_problems(demo, frame)]
    ax, draw = demo.drag[1][0], demo.draw
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    target = (x0 + (x1 - x0) / 3, y0 + (y1 - y0) / 3)

    def clicked_meanwhile(**values):
        demo.draw = draw
        drag(demo, ax, [target])  # the learner clicks while this redraw runs
        return draw(**values)

    demo.draw = clicked_meanwhile
    try:
        demo.update(**{demo.drag[0][0]: demo.controls[demo.drag[0][0]].min})
    finally:
        demo.draw = draw
    if dragged(demo) != expected(demo, ax, *target) or demo._drawn != demo.values:
        failures.append(f"a click during a redraw was lost: θ {dragged(demo)}, drawn "
                        f"{demo._drawn == demo.values}")
    return failures + [f"after a click during a redraw: {p}" for p in demo_problems(demo, frame)]


def test_a_move_dropped_during_a_redraw_is_drawn_by_a_timer(monkeypatch):
    """A move that comes while the last redraw is recent sets the sliders at once and is drawn by
    a timer of the kernel's loop when the hold-off ends, without waiting for the release."""
    demo = DEMOS["two_task_arrows"]()
    try:
        monkeypatch.setattr(mamlkit.demos.base, "get_ipython", object)  # as in a kernel
        ax = demo.drag[1][0]
        drag(demo, ax, [(0.5, 0.5)])
        mouse(demo, "press", ax, 0.5, 0.5)
        demo._ready = time.perf_counter() + 10  # as if the last redraw had taken 10 s
        mouse(demo, "move", ax, 0.8, 0.2)
        assert dragged(demo) == expected(demo, ax, 0.8, 0.2) and demo._drawn != demo.values
        assert demo._timer.interval > 9000
        demo._timer._on_timer()  # what the kernel's loop does when the hold-off is over
        assert demo._drawn == demo.values and demo.last_error is None
        mouse(demo, "release", ax, 0.8, 0.2)
        assert demo._drawn == demo.values
    finally:
        if demo._timer is not None:
            demo._timer.stop()
        plt.close(demo.fig)


@pytest.mark.parametrize("name", sorted(DRAGGED))
def test_mouse_sweep(name):
    demo = DEMOS[name]()
    try:
        failures = mouse_failures(demo, axes_state(demo.fig))
        if failures:
            pytest.fail(f"{len(failures)} problem(s) dragging on {name!r}:\n  "
                        + "\n  ".join(failures[:15]), pytrace=False)
    finally:
        plt.close(demo.fig)


def sweep_settings(demo, rng):
    """[(label, {control: value})]: each control alone through its values (the others at their
    defaults), all at the low extreme, all at the high one, each control at one extreme with the
    others at the other, and random joint settings."""
    defaults = demo.values
    values = {name: list({repr(v): v for v in control_values(control, N_RANDOM, rng)}.values())
              for name, control in demo.controls.items()}  # no repeats
    low = {name: v[0] for name, v in values.items()}
    high = {name: v[1] for name, v in values.items()}
    settings = [(f"{name}={v:.4g}" if isinstance(v, float) else f"{name}={v!r}",
                 {**defaults, name: v}) for name, vs in values.items() for v in vs]
    settings += [("all controls at their minimum", low), ("all controls at their maximum", high)]
    for name in demo.controls:
        settings.append((f"{name} at its maximum, the others at their minimum",
                         {**low, name: high[name]}))
        settings.append((f"{name} at its minimum, the others at their maximum",
                         {**high, name: low[name]}))
    for i in range(N_JOINT):
        joint = {name: vs[rng.integers(len(vs))] for name, vs in values.items()}
        settings.append((f"random joint setting {i}: {joint}", joint))
    return settings, defaults, low, high


@pytest.fixture(scope="module")
def sweep_counts(request):
    """{demo: (controls, settings, button presses, settings with a message)}; the totals are
    printed at the end."""
    counts = {}
    yield counts
    if not counts:
        return
    lines = [f"  {name}: {c} controls, {s} settings, {b} button presses, a message at {m} of them"
             for name, (c, s, b, m) in sorted(counts.items())]
    total = [sum(column) for column in zip(*counts.values())]
    lines.append(f"  total over {len(counts)} demos: {total[0]} controls, {total[1]} settings, "
                 f"{total[2]} button presses")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\nwidget sweep:\n" + "\n".join(lines))


def test_every_demo_module_is_swept():
    """Each module of mamlkit.demos but ``base`` has a builder in widget_drive.BUILDERS."""
    modules = {f"mamlkit.demos.{m.name}" for m in pkgutil.iter_modules(mamlkit.demos.__path__)}
    assert {builder.__module__ for builder in DEMOS.values()} == modules - {"mamlkit.demos.base"}


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_sweep(name, sweep_counts):
    demo = DEMOS[name]()
    try:
        frame = axes_state(demo.fig)
        failures = [f"after building: {p}" for p in demo_problems(demo, frame)]
        settings, defaults, low, high = sweep_settings(demo, np.random.default_rng(SEED))
        with_message = 0
        for label, setting in settings:
            demo.update(**setting)
            failures += [f"{label}: {p}" for p in demo_problems(demo, frame)]
            with_message += bool(demo.message_text)
        presses = 0
        for where, setting in (("defaults", defaults), ("all at minimum", low),
                               ("all at maximum", high)):
            for label, button in demo.buttons.items():
                demo.update(**setting)
                button.click()
                presses += 1
                failures += [f"button {label!r} at {where}: {p}"
                             for p in demo_problems(demo, frame)]
        sweep_counts[name] = (len(demo.controls), len(settings), presses, with_message)
        print(f"{name}: drove {len(demo.controls)} controls ({', '.join(demo.controls)}) through "
              f"{len(settings)} settings and {presses} button presses; a message at {with_message}")
        assert demo.controls or demo.buttons, f"demo {name!r} has nothing to drive"
        if failures:
            more = f"\n  ... and {len(failures) - 15} more" if len(failures) > 15 else ""
            pytest.fail(f"{len(failures)} problem(s) in demo {name!r}:\n  "
                        + "\n  ".join(failures[:15]) + more, pytrace=False)
    finally:
        plt.close(demo.fig)
