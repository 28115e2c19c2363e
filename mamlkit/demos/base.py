"""``Demo``: controls + one persistent figure + a message line, wired so that errors reach the learner."""
import contextlib
import html
import traceback

import ipywidgets as widgets
from IPython import get_ipython
from IPython.display import clear_output, display


class Demo:
    """An interactive figure.

    ``draw(**values)`` updates the artists of ``fig`` for the current control values and returns a message to
    show under the figure (or None). Axes limits are set once when the figure is built and never by ``draw``, so
    motion is visible. Any exception inside ``draw`` is shown in red under the figure instead of vanishing in
    the kernel log, and kept in ``last_error`` for tests.

    ``buttons`` maps a label to a callback ``f(demo)`` (for example "C = 0" setting sliders to zero).
    """

    def __init__(self, fig, draw, controls, buttons=None, title=""):
        self.fig, self.draw, self.controls = fig, draw, dict(controls)
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
        controls = list(self.controls.values())
        rows += [widgets.HBox(controls[i:i + 3]) for i in range(0, len(controls), 3)]
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
            self.message.value = f"<pre style='color:#b00020'>{detail}</pre>"
        if get_ipython() is None:  # headless (tests, benchmarks): render anyway, so drawing errors surface
            self.fig.canvas.draw()
            return
        with self.output:
            clear_output(wait=True)
            display(self.fig)

    def _ipython_display_(self):
        display(self.widget)
