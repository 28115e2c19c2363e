"""``Demo``: controls + one persistent figure + a message line, wired so that errors reach the learner."""
import contextlib
import html
import io
import traceback

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from IPython import get_ipython
from IPython.display import Image, display


class Demo:
    """An interactive figure.

    ``draw(**values)`` updates the artists of ``fig`` for the current control values and returns a message to
    show under the figure (or None). Axes limits are set once when the figure is built and never by ``draw``, so
    motion is visible. Any exception inside ``draw`` is shown in red under the figure instead of vanishing in
    the kernel log, and kept in ``last_error`` for tests.

    ``buttons`` maps a label to a callback ``f(demo)`` (for example "C = 0" setting sliders to zero).
    ``layout`` optionally lists rows of control names (each control exactly once), for demos with many
    controls; by default the controls are laid out three to a row in their order.
    """

    def __init__(self, fig, draw, controls, buttons=None, title="", layout=None):
        self.fig, self.draw, self.controls = fig, draw, dict(controls)
        # The demo owns its figure: pyplot forgets it, so a learner's later plt.plot() does not draw into it and
        # plt.show() does not print a static copy of it. close() leaves a bare canvas that cannot draw: give the
        # figure an Agg canvas again (the PNG renderer the inline backend uses anyway).
        plt.close(fig)
        FigureCanvasAgg(fig)
        # Lay the figure out once, then freeze it: the axes never move between redraws (so motion is visible)
        # and no redraw pays for a tight or constrained layout again.
        fig.canvas.draw()
        with contextlib.suppress(RuntimeError):  # an engine that cannot be swapped keeps working, just slower
            fig.set_layout_engine("none")
        self._background = None
        self.output = widgets.Output()
        self.message = widgets.HTML()
        self.last_error, self.message_text = None, ""
        self._held = self._pending = False
        self.buttons = {}
        for label, action in (buttons or {}).items():
            button = widgets.Button(description=label)
            button.on_click(lambda _button, action=action: action(self))
            self.buttons[label] = button
        for control in self.controls.values():
            control.observe(lambda _change: self.refresh(), names="value")
        rows = [widgets.HTML(f"<b>{html.escape(title)}</b>")] if title else []
        names = list(self.controls)
        layout = layout or [names[i:i + 3] for i in range(0, len(names), 3)]
        if sorted(n for row in layout for n in row) != sorted(names):
            raise ValueError(f"layout must list each control exactly once: {sorted(names)}")
        rows += [widgets.HBox([self.controls[n] for n in row]) for row in layout]
        if self.buttons:
            rows.append(widgets.HBox(list(self.buttons.values())))
        self.widget = widgets.VBox(rows + [self.output, self.message])
        self.refresh()

    @property
    def values(self):
        """The current control values by name."""
        return {name: control.value for name, control in self.controls.items()}

    @contextlib.contextmanager
    def hold(self):
        """Change several controls inside this block and redraw once at the end."""
        self._held, self._pending = True, False
        try:
            yield self
        finally:
            self._held = False
            if self._pending:
                self.refresh()

    def update(self, **values):
        """Set several controls at once (one redraw), as a learner would by moving them; returns the message."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this demo has {sorted(self.controls)}")
        with self.hold():
            for name, value in values.items():
                self.controls[name].value = value
        return self.message_text

    def refresh(self):
        """Redraw for the current values; show the message, or the error if ``draw`` raised."""
        if self._held:
            self._pending = True
            return
        try:
            self.message_text = self.draw(**self.values) or ""
            self.last_error = None
            self.message.value = html.escape(self.message_text)
        except Exception as err:  # noqa: BLE001 - a learner must see what went wrong, whatever it is
            self.last_error = err
            self.message_text = f"Error: {type(err).__name__}: {err}"
            detail = html.escape("".join(traceback.format_exception_only(type(err), err)))
            # the class lets the browser test find callback errors on the page
            self.message.value = f"<pre class='mamlkit-error' style='color:#b00020'>{detail}</pre>"
        png = self.render_png()  # headless too (tests, benchmarks), so drawing errors and costs are real
        if get_ipython() is not None:
            # Replace the Output widget's content in one state update instead of capturing a display into it: a
            # capture makes a headless client (nbclient, nbval) answer over the shell channel while it awaits the
            # cell's reply, which now and then stalls until the cell timeout (jupyter/nbclient#312).
            data, metadata = get_ipython().display_formatter.format(Image(data=png, format="png"))
            self.output.outputs = ({"output_type": "display_data", "data": data, "metadata": metadata},)

    def render_png(self):
        """The figure as PNG bytes.

        Artists marked ``animated`` (the ones a slider moves: arrows, points, paths) are drawn over a cached
        picture of everything else, which is re-rendered only when a non-animated artist changed (matplotlib
        marks the figure stale then; changes to animated artists do not). Moving a point thus costs a copy of
        the background plus a few artists instead of a full redraw of every contour.
        """
        canvas = self.fig.canvas
        if self._background is None or self.fig.stale:
            canvas.draw()  # everything but the animated artists
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        animated = [a for ax in self.fig.axes for a in ax.get_children() if a.get_animated()]
        for artist in sorted(animated, key=lambda a: a.get_zorder()):
            self.fig.draw_artist(artist)
        buffer = io.BytesIO()
        PIL.Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def _ipython_display_(self):
        display(self.widget)


STYLE = {"description_width": "initial"}  # show each control's label in full


def theta_sliders(a, b, names=("theta_a", "theta_b"), labels=("a", "b"), continuous_update=True):
    """Two sliders (step 0.01) placing θ = (a, b) in the unit square of the 2-parameter landscape demos."""
    return {name: widgets.FloatSlider(value=value, min=0.0, max=1.0, step=0.01, description=f"θ: {label}",
                                      style=STYLE, continuous_update=continuous_update)
            for name, value, label in zip(names, (a, b), labels)}


def control_values(control, n=3, rng=None):
    """The values a learner can give ``control``, the two extremes first: [low, high, *between].

    A selection (Dropdown, ToggleButtons, ...) gives all its options (first, last, then the others), a checkbox
    [False, True]; a slider its min, its max and ``n`` points of its step grid between them, evenly spaced or
    drawn with the numpy Generator ``rng``. A FloatLogSlider's grid is over the exponent: values base**e.
    The widget sweep test and the responsiveness benchmark drive every demo control with these values.
    """
    if isinstance(control.value, bool):
        return [False, True]
    if hasattr(control, "options"):
        values = [o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in control.options]
        return values[:1] + values[-1:] + values[1:-1]
    if not all(hasattr(control, attribute) for attribute in ("min", "max", "step")):
        raise TypeError(f"control_values does not know {type(control).__name__} controls yet: add them here")
    lo, hi, step = control.min, control.max, control.step
    n_steps = int(round((hi - lo) / step)) if step else 0
    ks = (rng.integers(0, n_steps + 1, size=n) if rng is not None
          else [round(i * n_steps / (n + 1)) for i in range(1, n + 1)])
    points = [lo, hi] + [min(lo + int(k) * step, hi) for k in ks]
    if isinstance(control, widgets.FloatLogSlider):
        return [control.base ** e for e in points]
    return [type(control.value)(p) for p in points]
