"""``Demo``: controls, one persistent figure and a message line, wired so that errors reach the
learner; and what the demos draw with (sliders from a table, landscape panels, arrows, markers)."""
import html
import io
import traceback

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
from IPython import get_ipython
from IPython.display import Image, display
from matplotlib.backends.backend_agg import FigureCanvasAgg

from ..plotting import figure

FULL = {"description_width": "initial"}  # show a control's label in full
UNIT = (0.0, 1.0, 0.0, 1.0)


class Demo:
    """A figure redrawn by ``draw(**values)``, which updates its artists for the control values and
    returns the message shown under it (an exception is shown in red and kept in ``last_error``).
    ``buttons`` maps a label to ``f(demo)``; ``rows`` gives the controls per row (default three)."""

    def __init__(self, fig, draw, controls, buttons=None, title="", rows=(), **attributes):
        self.fig, self.draw, self.controls = fig, draw, dict(controls)
        vars(self).update(attributes)  # what notebooks and tests read (comparison's state)
        plt.close(fig)  # the demo owns its figure: a learner's plt.show() prints no copy
        FigureCanvasAgg(fig)  # and gets back the canvas that close() took away
        fig.canvas.draw()  # lay out once, then freeze: the axes never move
        fig.set_layout_engine("none")
        self._background, self._held = None, False
        self.output, self.message = widgets.Output(), widgets.HTML()
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
        self.widget = widgets.VBox(children + [self.output, self.message])
        self.refresh()

    @property
    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def update(self, **values):
        """Set several controls at once (one redraw), as a learner would."""
        before, self._held = self.values, True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._held = False
            if self.values != before:  # one redraw, also when a later value was refused
                self.refresh()

    def refresh(self):
        """Redraw for the current values; show the message, or the error if ``draw`` raised."""
        if self._held:
            return
        try:
            self.message_text, self.last_error = self.draw(**self.values) or "", None
            self.message.value = html.escape(self.message_text)
        except Exception as err:  # noqa: BLE001 - a learner must see what went wrong
            self.last_error, self.message_text = err, f"Error: {type(err).__name__}: {err}"
            detail = html.escape("".join(traceback.format_exception_only(type(err), err)))
            # the class lets the browser test find callback errors on the page
            self.message.value = f"<pre class='mamlkit-error' style='color:#b00020'>{detail}</pre>"
        png = self.render_png()  # headless too, so that drawing errors and costs are real
        if get_ipython() is not None:
            # One state update: displaying into an Output can stall nbval (jupyter/nbclient#312).
            data, metadata = get_ipython().display_formatter.format(Image(data=png, format="png"))
            output = {"output_type": "display_data", "data": data, "metadata": metadata}
            self.output.outputs = (output,)

    def render_png(self):
        """The figure as PNG bytes: the ``animated`` artists (what the controls move) drawn over a
        cached picture of the rest, rendered again when a non-animated artist changed."""
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
        PIL.Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buffer, "png", compress_level=1)
        return buffer.getvalue()

    def _ipython_display_(self):
        display(self.widget)


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
