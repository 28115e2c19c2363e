"""The course's demo builders, listed once, and the values a learner can give a control: what the
widget sweep test and benchmarks/bench_widgets.py drive every demo with."""
import ipywidgets as widgets
from matplotlib.backend_bases import MouseButton, MouseEvent

from mamlkit.demos import (comparison, curvature_explorer, imaml, landscapes, omniglot_game,
                           reptile, sinusoid, spectrum)

BUILDERS = (
    sinusoid.sinusoid_fit,
    landscapes.meta_loss_landscape,
    landscapes.two_task_arrows,
    spectrum.hessian_spectrum,
    curvature_explorer.curvature_explorer,
    reptile.reptile_interpolation,
    imaml.imaml_regularised,
    imaml.imaml_implicit_gradient,
    comparison.meta_gradient_comparison,
    omniglot_game.character_game,
)
DEMOS = {builder.__name__: builder for builder in BUILDERS}


def control_values(control, n=3, rng=None):
    """The values a learner can give ``control``, the two extremes first: [low, high, *between].

    A selection (Dropdown, ToggleButtons, ...) gives all its options (first, last, then the others),
    a checkbox [False, True]; a slider its min, its max and ``n`` points of its step grid between
    them, evenly spaced or drawn with the numpy Generator ``rng``. A FloatLogSlider's grid is over
    the exponent: values base**e.
    """
    if isinstance(control.value, bool):
        return [False, True]
    if hasattr(control, "options"):
        values = [o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in control.options]
        return values[:1] + values[-1:] + values[1:-1]
    if not all(hasattr(control, attribute) for attribute in ("min", "max", "step")):
        raise TypeError(f"control_values does not know {type(control).__name__} controls: add them")
    lo, hi, step = control.min, control.max, control.step
    n_steps = int(round((hi - lo) / step)) if step else 0
    ks = (rng.integers(0, n_steps + 1, size=n) if rng is not None
          else [round(i * n_steps / (n + 1)) for i in range(1, n + 1)])
    points = [lo, hi] + [min(lo + int(k) * step, hi) for k in ks]
    if isinstance(control, widgets.FloatLogSlider):
        return [control.base ** e for e in points]
    return [type(control.value)(p) for p in points]


MOUSE_EVENTS = {"press": "button_press_event", "move": "motion_notify_event",
                "release": "button_release_event"}


def mouse(demo, kind, ax, x, y, button=MouseButton.LEFT):
    """Send ``demo`` the matplotlib mouse event a learner's browser would: ``kind`` "press", "move"
    or "release" at data point (x, y) of axes ``ax`` (an Axes or an index into demo.fig.axes); with
    ``ax`` None, (x, y) are figure pixels (outside every axes if you like). A move holds ``button``
    down (``event.buttons``, as ipympl reports it); a move with ``button`` None holds none."""
    fig = demo.fig
    if ax is None:
        px, py = x, y
    else:
        ax = fig.axes[ax] if isinstance(ax, int) else ax
        px, py = ax.transData.transform((x, y))
    held = {"buttons": [] if button is None else [button]} if kind == "move" else {}  # as ipympl
    event = MouseEvent(MOUSE_EVENTS[kind], fig.canvas, px, py, button=button, **held)
    fig.canvas.callbacks.process(event.name, event)
    return event


def drag(demo, ax, points):
    """Press at the first (x, y) data point of ``ax``, move through the others, release at the
    last; returns the values of the dragged controls after each event."""
    (x, y), *rest = points
    followed = [(mouse(demo, "press", ax, x, y), dragged(demo))[1]]
    for x, y in rest:
        mouse(demo, "move", ax, x, y)
        followed.append(dragged(demo))
    mouse(demo, "release", ax, x, y)
    return followed + [dragged(demo)]


def dragged(demo):
    """The values of the two controls that dragging on ``demo`` sets."""
    return tuple(demo.controls[name].value for name in demo.drag[0])
