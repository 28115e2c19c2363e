"""``Demo``: controls, one persistent figure on an ipympl canvas redrawn in place and a message
line, wired so that errors reach the learner; θ dragged on the landscapes; and what the demos draw
with (sliders from a table, landscape panels, arrows, markers)."""
import base64
import html
import io
import sys
import time
import traceback

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
import traitlets
from IPython import get_ipython
from matplotlib.backend_bases import MouseButton

# Imported after matplotlib, the ipympl package makes itself pyplot's backend (closing every figure
# and turning the learner's inline plots into widgets): it is imported as if matplotlib were not.
_matplotlib = sys.modules.pop("matplotlib")
try:
    import ipympl  # noqa: F401
finally:
    sys.modules["matplotlib"] = _matplotlib
from ipympl.backend_nbagg import Canvas, FigureManager  # noqa: E402

from ..plotting import figure

FULL = {"description_width": "initial"}  # show a control's label in full
UNIT = (0.0, 1.0, 0.0, 1.0)


class _Canvas(Canvas):
    """ipympl's canvas; the picture it keeps for a saved notebook while no browser shows it (under
    nbconvert) made a data URL, which is what its page view reads (ipympl stores bare base64)."""

    @traitlets.validate("_data_url")
    def _as_data_url(self, proposal):
        url = proposal["value"]
        return url if url is None or url.startswith("data:") else "data:image/png;base64," + url


class Demo:
    """A figure redrawn by ``draw(**values)``, which updates its artists for the control values and
    returns the message shown under it (an exception is shown in red and kept in ``last_error``).
    ``buttons`` maps a label to ``f(demo)``; ``rows`` gives the controls per row (default three);
    ``drag`` = (x control, y control, axes): pressing or dragging on those axes sets the two."""

    def __init__(self, fig, draw, controls, buttons=None, title="", rows=(), drag=None,
                 **attributes):
        self.fig, self.draw, self.controls = fig, draw, dict(controls)
        vars(self).update(attributes)  # what notebooks and tests read (comparison's state)
        plt.close(fig)  # the demo owns its figure: a learner's plt.show() prints no copy,
        fig.stale_callback = None  # and it redraws the figure itself, once per change
        canvas = _Canvas(fig)
        manager = FigureManager(canvas, 0)
        canvas.mpl_disconnect(manager.key_press_handler_id)  # keys ("l": log scale) move no axes
        canvas.toolbar_visible = canvas.header_visible = canvas.footer_visible = False
        canvas.resizable = False
        canvas.draw()  # lay out once, then freeze: the axes never move
        fig.set_layout_engine("none")
        canvas._size = tuple(fig.bbox.size)  # so that a page without the kernel sizes it right
        canvas.mpl_connect("draw_event", self._cache_background)
        self._background, self._held, self._busy, self._again = None, False, False, False
        self._drawn, self._ready, self._grab, self._timer = None, 0.0, None, None
        self.message = widgets.HTML()
        self.buttons = {label: widgets.Button(description=label) for label in buttons or {}}
        for label, action in (buttons or {}).items():
            self.buttons[label].on_click(lambda _button, action=action: action(self))
        for control in self.controls.values():
            control.observe(lambda _change: self.refresh(), names="value")
        boxes, sizes = list(self.controls.values()), iter(rows)
        children = [widgets.HTML(f"<b>{html.escape(title)}</b>")] if title else []
        while boxes:
            size = next(sizes, 3)
            children.append(widgets.HBox(boxes[:size]))
            boxes = boxes[size:]
        children += [widgets.HBox(list(self.buttons.values()))] if self.buttons else []
        self.widget = widgets.VBox(children + [canvas, self.message])
        if drag:
            self.drag = drag[:2], list(drag[2])
            for event, handler in (("button_press_event", self._press),
                                   ("motion_notify_event", self._move),
                                   ("button_release_event", self._release)):
                self.on(event, handler)
        self.refresh()

    @property
    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def update(self, **values):
        """Set several controls at once (one redraw), as a learner would."""
        before = self.values
        try:
            self._set(values)
        finally:
            if self.values != before:  # one redraw, also when a later value was refused
                self.refresh()

    def _set(self, values):
        """Set controls without a redraw."""
        self._held = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._held = False

    def refresh(self):
        """Redraw for the current values; show the message, or the error if ``draw`` raised. Asked
        during a redraw (a click meanwhile), it redraws once more after it."""
        if self._held:
            return
        if self._busy:
            self._again = True
            return
        self._busy, self._again = True, True
        try:
            while self._again:
                self._again = False
                self._redraw()
        finally:
            self._busy = False

    def _redraw(self):
        start, self._drawn = time.perf_counter(), self.values
        try:
            self.message_text, self.last_error = self.draw(**self._drawn) or "", None
            self.message.value = html.escape(self.message_text)
        except Exception as err:  # noqa: BLE001 - a learner must see what went wrong
            self.show_error(err)
        canvas = self.fig.canvas
        if self._background is None or self.fig.stale:
            canvas.draw()  # the rest, then the animated artists (_cache_background); sent
        else:  # the animated artists (what the controls move) over the cached rest
            canvas.restore_region(self._background)
            self._draw_animated()
            canvas.blit()  # ipympl sends the page the pixels that changed
        end = time.perf_counter()
        self._ready = 2 * end - start  # a drag redraws again after as long as this took

    def _cache_background(self, _event):
        self._background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        self._draw_animated()

    def _draw_animated(self):
        animated = [a for ax in self.fig.axes for a in ax.get_children() if a.get_animated()]
        for artist in sorted(animated, key=lambda a: a.get_zorder()):
            self.fig.draw_artist(artist)

    def show_error(self, err):
        """Show ``err`` in red under the figure and keep it in ``last_error``."""
        self.last_error, self.message_text = err, f"Error: {type(err).__name__}: {err}"
        detail = html.escape("".join(traceback.format_exception_only(type(err), err)))
        # the class lets the browser test find callback errors on the page
        self.message.value = f"<pre class='mamlkit-error' style='color:#b00020'>{detail}</pre>"

    def on(self, event, handler):
        """Call ``handler(mouse_event)`` on a matplotlib canvas event ("button_press_event",
        "motion_notify_event", ...); a true return redraws, an error is shown as draw's are.
        The callbacks live on the figure, so they survive a change of canvas."""
        return self.fig.canvas.mpl_connect(event, self._guarded(handler))

    def _guarded(self, handler):
        def guarded(*event):
            try:
                if handler(*event):
                    self.refresh()
            except Exception as err:  # noqa: BLE001 - a learner must see what went wrong
                self.show_error(err)
        return guarded

    def _press(self, event):
        if event.button != MouseButton.LEFT or event.inaxes not in self.drag[1]:
            return False  # a click elsewhere does nothing
        self._grab = event.inaxes
        return self._follow(event)

    def _move(self, event):
        if self._grab is not None and event.buttons is not None and not event.buttons:
            return self._release(event)  # the button came up where the page did not see it
        return self._grab is not None and self._follow(event)

    def _release(self, event):
        if self._grab is None:
            return False
        moved = self._follow(event, last=True)
        self._grab = None
        return moved

    def _follow(self, event, last=False):
        """Set the θ controls to the pointer's point of the grabbed axes, clamped to their range
        and on their step grid; redraw now if the last redraw ended at least as long ago as it
        took, else later (at the release, or by a timer): moves are dropped, never queued."""
        point = self._grab.transData.inverted().transform((event.x, event.y))
        if not np.all(np.isfinite(point)):
            return False
        self._set({name: snap(self.controls[name], v) for name, v in zip(self.drag[0], point)})
        if self.values == self._drawn:
            return False
        if last or time.perf_counter() >= self._ready:
            return True
        if get_ipython() is not None:  # a live kernel runs the timer; headless, the release draws
            self._catch_up_later()
        return False

    def _catch_up_later(self):
        if self._timer is None:
            self._timer = self.fig.canvas.new_timer()
            self._timer.single_shot = True
            self._timer.add_callback(self._guarded(lambda: self.values != self._drawn))
        self._timer.interval = max(1, int(1e3 * (self._ready - time.perf_counter())))
        self._timer.start()

    def render_png(self):
        """The figure as drawn now, as PNG bytes."""
        buffer = io.BytesIO()
        PIL.Image.fromarray(np.asarray(self.fig.canvas.buffer_rgba())).save(buffer, "png")
        return buffer.getvalue()

    def _repr_mimebundle_(self, **kwargs):
        """The live widget, and the figure as a PNG for a page that shows no widgets (a repository
        page): a page that shows widgets shows only the widget."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        png = base64.b64encode(self.render_png()).decode()
        self.fig.canvas._data_url = png  # the picture the canvas shows before the kernel answers
        return {**bundle, "image/png": png}


def snap(control, value):
    """``value`` clamped to the slider ``control``'s range, on its step grid."""
    low, high, step = control.min, control.max, control.step
    value = low + round((min(max(value, low), high) - low) / step) * step
    return float(np.clip(np.round(value, 10), low, high))


def sliders(table, **common):
    """Sliders from {name: (label, value, low, high, step[, options])}: an IntSlider for an integer
    step, a FloatLogSlider (low, high: exponents) given a base, else a FloatSlider."""
    made = {}
    for name, (label, value, low, high, step, *options) in table.items():
        options = {**common, **(options[0] if options else {})}
        kind = (widgets.FloatLogSlider if "base" in options else
                widgets.IntSlider if isinstance(step, int) else widgets.FloatSlider)
        made[name] = kind(value=value, min=low, max=high, step=step, description=label,
                          style=FULL, **options)
    return made


def panels(titles, extent=UNIT, xlabel="", ylabel="", grid=False, **figure_options):
    """(fig, [axes]): a row of 2-parameter landscapes with fixed limits, equal aspect and ticks at
    0, ½ and 1, the y label on the first."""
    fig, axes = figure(ncols=len(titles), **figure_options)
    axes = list(np.atleast_1d(axes))
    for k, (ax, title) in enumerate(zip(axes, titles)):
        ax.set(xlim=extent[:2], ylim=extent[2:], aspect="equal", xticks=[0, 0.5, 1],
               yticks=[0, 0.5, 1], xlabel=xlabel, ylabel="" if k else ylabel, title=title)
        ax.grid(grid)
    return fig, axes


def arrow(ax, color, scale=1.0, width=0.012, **options):
    """An animated one-arrow quiver in data units, a vector drawn 1/scale as long (``place``)."""
    return ax.quiver([0.0], [0.0], [0.0], [0.0], color=color, angles="xy", scale_units="xy",
                     scale=scale, width=width, animated=True, **options)


def place(quiver, tail, vector):
    """Draw ``quiver`` from ``tail`` along ``vector``, or hide it when ``vector`` is None."""
    quiver.set_offsets(np.reshape(tail, (1, 2)))
    quiver.set_UVC(*np.reshape(np.zeros(2) if vector is None else vector, (2, 1)))
    quiver.set_visible(vector is not None)


def marker(ax, fmt="o", **style):
    """An animated marker with no position yet (placed by ``set_data``)."""
    return ax.plot([], [], fmt, ls="none", animated=True, **style)[0]


def quantile_levels(values, n, low=0.0, high=1.0):
    """n contour levels at quantiles of ``values`` (two around a flat surface)."""
    levels = np.unique(np.quantile(values, np.linspace(low, high, n)))
    return levels if levels.size > 1 else np.min(values) + np.array([-1.0, 1.0])


def pair(v):
    """'(+0.123, -0.045)': a 2-vector to three decimals, a rounded −0 shown as 0."""
    x, y = np.round(v, 3) + 0.0
    return f"({x:+.3f}, {y:+.3f})"
