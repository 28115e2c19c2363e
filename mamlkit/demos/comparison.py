"""Each method's update Δθ = −η (1/4) Σ_i g_i(θ) from one θ on four softplus line fits, over a
meta-loss (1/4) Σ_i L_i(U_i(θ)), the mean loss or one task's. Reptile is the batched update
θ + β(mean φ_i − θ), g_i = θ − φ_i^k (not the article's, which interpolates task after task)."""
from functools import lru_cache

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from .. import landscape
from ..meta import NotPositiveDefiniteError, meta_gradient
from ..plotting import COLORS, LABELS, MARKERS
from ..tasks import SoftplusLine
from .base import FULL, Demo, arrow, marker, panels, place, quantile_levels, sliders
from .landscapes import meta_loss_grids

TRUE_PARAMS = ((0.0, 0.0), (1.0, 0.0), (0.2, 0.0), (0.5, 0.2))
EXTENT = (-0.2, 1.2, -0.2, 1.2)
METHODS = ("maml", "fomaml", "reptile", "imaml")
# Arrows drawn from the widest (under) to the narrowest (on top), each with its own marker at its
# tip, so that an arrow lying along another stays visible (at the defaults iMAML's lies on MAML's).
WIDTHS = {"maml": 0.016, "fomaml": 0.012, "reptile": 0.009, "imaml": 0.006}
# The article's defaults: outer rate (β for Reptile), inner rate α, inner steps k, and λ for iMAML.
DEFAULTS = {"maml": {"outer": 0.03, "lr": 0.04, "steps": 1},
            "fomaml": {"outer": 0.03, "lr": 0.04, "steps": 1},
            "reptile": {"outer": 0.3, "lr": 0.04, "steps": 5},
            "imaml": {"outer": 0.03, "lr": 0.04, "steps": 5, "lam": 2.0}}
LOSS = SoftplusLine.loss
MAX_STEPS = 10  # the inner-steps sliders' maximum
CONTOURS = ([(f"{LABELS[m]} meta-loss (its inner loop)", m) for m in METHODS]
            + [("mean loss, no adaptation", "mean")]
            + [(f"task {i + 1} only: true (a, b) = ({a:g}, {b:g})", f"task{i}")
               for i, (a, b) in enumerate(TRUE_PARAMS)])  # (label, kind) of each background


def comparison_tasks(n=10):
    """The four SoftplusLine tasks, n points each (task i seeded with i, support = query)."""
    return [SoftplusLine(a, b, n=n, seed=i) for i, (a, b) in enumerate(TRUE_PARAMS)]


def method_hyper(method, lr, steps, lam=None):
    """``meta_gradient``'s keyword arguments for ``method``: lr and steps, and λ for iMAML."""
    return {"lr": lr, "steps": steps, **({"lam": lam} if method == "imaml" else {})}


def update_arrow(method, theta, tasks, outer, lr, steps, lam=None):
    """Δθ = −outer · (1/T) Σ_i g_i(θ), g_i the method's meta-gradient (Reptile: θ − U_i^k(θ))."""
    hyper = method_hyper(method, lr, steps, lam)
    return -outer * meta_gradient(method, LOSS, theta, tasks, **hyper)


def contour_values(kind, points, tasks, lr=None, steps=None, lam=None):
    """The background on ``points``: "mean" (1/T) Σ_i L_i(θ), "task<i>" L_i(θ), or a method's
    meta-loss (1/T) Σ_i L_i(U_i(θ)) after ``steps`` inner steps (proximal with λ for iMAML)."""
    if kind == "mean":
        return sum(LOSS(points, task.train) for task in tasks) / len(tasks)
    if kind.startswith("task"):
        return LOSS(points, tasks[int(kind[4:])].train)
    lam = lam if kind == "imaml" else 0.0
    return meta_loss_grids(LOSS, tasks, points, lr, steps, lam)[steps].mean(axis=0)


def meta_gradient_comparison():
    """Each switched-on method's update arrow from θ over the chosen contour."""
    tasks = [problem.task for problem in comparison_tasks()]
    points = landscape.grid(EXTENT, n=40)
    fig, (ax,) = panels([""], EXTENT, "a (slope)", "b (offset)", grid=True, width=7.2, height=7.6)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.94, bottom=0.16)  # the legend goes below
    ax.plot(*np.transpose(TRUE_PARAMS), "*", color=COLORS["task"], ms=14, zorder=3)
    for i, xy in enumerate(TRUE_PARAMS):
        ax.annotate(str(i + 1), xy, textcoords="offset points", xytext=(6, 4), color=COLORS["task"])
    theta_dot = marker(ax, color="black", ms=8, zorder=9)
    arrows = {m: arrow(ax, COLORS[m], width=WIDTHS[m], zorder=4 + k, edgecolor="white",
                       linewidth=0.6) for k, m in enumerate(METHODS)}
    tips = {m: marker(ax, MARKERS[m], color=COLORS[m], mec="white", ms=7, zorder=4.5 + k)
            for k, m in enumerate(METHODS)}
    optima = Line2D([], [], ls="", marker="*", ms=12, color=COLORS["task"], label="task optima")
    ax.legend(handles=[Line2D([], [], color=COLORS[m], lw=1 + 250 * WIDTHS[m], marker=MARKERS[m],
                              mec="white", label=LABELS[m]) for m in METHODS] + [optima],
              loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=5, fontsize=10)
    labels = {kind: label for label, kind in CONTOURS}
    # What is on screen, for tests and check cells: Δθ per method (None where hidden), the surface.
    state = {"arrows": {m: None for m in METHODS}, "surface": None, "key": None, "contour": None}

    @lru_cache(maxsize=1024)  # moving one method's control recomputes that method's arrow only
    def method_arrow(method, theta_a, theta_b, outer, lr, steps, lam):
        # (Δθ or None, a note): in range only iMAML's system fails, no inner loop diverges (tested)
        try:
            delta = update_arrow(method, np.array([theta_a, theta_b]), tasks, outer, lr, steps, lam)
        except NotPositiveDefiniteError:
            return None, (f"{LABELS[method]}: hidden, I + H/λ is not positive definite at φ* (λ = "
                          f"{lam:.3g} is below −λ_min(H)), so conjugate gradient has no valid "
                          "answer: raise λ")
        return delta, f"{LABELS[method]} ({delta[0]:+.3f}, {delta[1]:+.3f})"

    losses = {}  # (α, λ): the mean meta-loss for k = 0 … the largest k drawn yet (one inner loop)

    def surface(kind, lr, steps, lam):
        if kind not in METHODS:
            return contour_values(kind, points, tasks)
        key = (lr, lam if kind == "imaml" else 0.0)  # MAML, FOMAML and Reptile share λ = 0
        if len(losses.get(key, ())) <= steps:
            losses[key] = meta_loss_grids(LOSS, tasks, points, lr, steps, key[1]).mean(axis=1)
        return losses[key][steps]

    def draw(**values):
        theta = np.array([values["theta_a"], values["theta_b"]])
        kind = values["contour"]
        key = (kind, *(values.get(f"{kind}_{field}") for field in ("lr", "steps", "lam")))
        if key != state["key"]:
            state["key"] = key
            z = state["surface"] = surface(*key)
            # Filled bands rather than lines: as readable, and a far smaller image to send.
            if state["contour"] is not None:
                state["contour"].remove()
            state["contour"] = ax.contourf(*points, z, levels=quantile_levels(z, 14, 0.01, 0.97),
                                           cmap="viridis", alpha=0.45, extend="both", zorder=1)
        title = f"{labels[kind]}; arrows drawn ×{values['arrow_scale']}"
        if ax.get_title() != title:  # only a real change, so that the cached background stays valid
            ax.set_title(title, fontsize=10)
        theta_dot.set_data(theta[:1], theta[1:])
        notes = []
        for m in METHODS:
            on, *settings = (values.get(f"{m}_{field}")
                             for field in ("on", "outer", "lr", "steps", "lam"))
            delta, note = method_arrow(m, *theta, *settings) if on else (None, None)
            notes += [note] if on else []
            state["arrows"][m] = None if delta is None else delta.copy()
            drawn = None if delta is None else values["arrow_scale"] * delta
            place(arrows[m], theta, drawn)
            tips[m].set_data(*([[]] * 2 if drawn is None else np.reshape(theta + drawn, (2, 1))))
            tips[m].set_visible(drawn is not None)
        return "Δθ = −rate × meta-gradient:  " + ("  ·  ".join(notes) or "no method switched on")

    row, late = {"layout": widgets.Layout(width="260px")}, {"continuous_update": False}
    controls = sliders({"theta_a": ("θ: a", 0.5, *EXTENT[:2], 0.01),
                        "theta_b": ("θ: b", 0.9, *EXTENT[2:], 0.01)}, **row)
    controls["contour"] = widgets.Dropdown(options=CONTOURS, value="maml", description="contour",
                                           style=FULL, layout=widgets.Layout(width="420px"))
    # The article's outer rates give steps of a few hundredths: drawn longer to tell apart.
    controls["arrow_scale"] = widgets.ToggleButtons(
        options=[("×1", 1), ("×5", 5), ("×20", 20)], value=5, description="draw arrows",
        style={"button_width": "auto", **FULL}, layout=widgets.Layout(width="auto"))
    for m, d in DEFAULTS.items():
        controls[f"{m}_on"] = widgets.Checkbox(value=True, description=LABELS[m], indent=False,
                                               layout=widgets.Layout(width="260px"))
        outer = ("interpolation β", 1.0, 0.05) if m == "reptile" else ("outer rate", 0.1, 0.005)
        # α ≤ 0.06 keeps plain inner steps stable on the plotted square (tested).
        controls |= sliders({
            f"{m}_outer": (outer[0], d["outer"], 0.0, *outer[1:]),
            f"{m}_lr": ("inner rate α", d["lr"], 0.005, 0.06, 0.005,
                        {"readout_format": ".3f", **late}),
            f"{m}_steps": ("inner steps k", d["steps"], 1, MAX_STEPS, 1, late)}, **row)
    controls |= sliders({"imaml_lam": ("λ", DEFAULTS["imaml"]["lam"], -2, 1, 0.05,
                                       {"base": 10, **late})}, **row)
    title = "Four methods, one θ: where does each move it?"
    demo = Demo(fig, draw, controls, title=title, drag=("theta_a", "theta_b", [ax]), state=state)
    demo.widget = beside(demo, title)
    return demo


def beside(demo, title):
    """The figure on the left, the controls in compact rows on its right, the message below."""
    c = demo.controls

    def rows(*names):
        return [widgets.HBox([c[n] for n in group]) for group in names]

    general = rows(("theta_a", "theta_b"), ("contour",), ("arrow_scale",))
    per_method = [widgets.VBox(rows((f"{m}_on", f"{m}_outer"), (f"{m}_lr", f"{m}_steps"))
                               + (rows(("imaml_lam",)) if m == "imaml" else []),
                               layout=widgets.Layout(border="1px solid #ddd", padding="2px",
                                                     margin="2px 0"))
                  for m in METHODS]
    panel = widgets.VBox(general + per_method, layout=widgets.Layout(width="540px"))
    return widgets.VBox([widgets.HTML(f"<b>{title}</b>"), widgets.HBox([demo.fig.canvas, panel]),
                         demo.message])
