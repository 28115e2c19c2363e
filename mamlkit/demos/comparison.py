"""All four meta-learning updates from one θ: the course's version of the article's comparison figure.

Four softplus line-fit tasks L_1..L_4 with true (a, b) = (0, 0), (1, 0), (0.2, 0), (0.5, 0.2). From the same θ
each method proposes one outer update, drawn as an arrow θ → θ + Δθ:

* MAML, FOMAML, iMAML:  Δθ = −η ḡ,  ḡ = (1/4) Σ_i g_i(θ)  (``mamlkit.meta_gradient``, η the outer rate)
* Reptile:              Δθ = −β ḡ,  ḡ = (1/4) Σ_i (θ − U_i^k(θ)),  i.e. θ moves a fraction β towards the mean φ_i

Each method has its own inner rate α and inner steps k; iMAML also its λ, passed to ``imaml_grad`` by name
(the article swapped iMAML's steps and λ). The background contour is a method's meta-loss
(1/4) Σ_i L_i(U_i(θ)) with that method's own inner loop, the plain mean loss (1/4) Σ_i L_i(θ), or one task's loss.
"""
from functools import lru_cache
from itertools import islice

import ipywidgets as widgets
import numpy as onp
from matplotlib.lines import Line2D

from .. import landscape, plotting
from ..meta import NotPositiveDefiniteError, meta_gradient
from ..tasks import SoftplusLine
from .base import Demo

TRUE_PARAMS = ((0.0, 0.0), (1.0, 0.0), (0.2, 0.0), (0.5, 0.2))
EXTENT = (-0.2, 1.2, -0.2, 1.2)
METHODS = ("maml", "fomaml", "reptile", "imaml")
# The article's defaults: outer rate (β for Reptile), inner rate α, inner steps k, and λ for iMAML.
DEFAULTS = {
    "maml": {"outer": 0.03, "lr": 0.04, "steps": 1},
    "fomaml": {"outer": 0.03, "lr": 0.04, "steps": 1},
    "reptile": {"outer": 0.3, "lr": 0.04, "steps": 5},
    "imaml": {"outer": 0.03, "lr": 0.04, "steps": 5, "lam": 2.0},
}
LOSS = SoftplusLine.loss
MAX_STEPS = 10  # the inner-steps sliders' maximum


def comparison_tasks(n=10):
    """The four SoftplusLine tasks (n points each, task i seeded with i); each ``.task`` uses its n points as both
    support and query set."""
    return [SoftplusLine(a, b, n=n, seed=i) for i, (a, b) in enumerate(TRUE_PARAMS)]


def method_hyper(method, lr, steps, lam=None):
    """The keyword arguments ``meta_gradient`` takes for ``method``: lr and steps, and λ by name for iMAML."""
    return {"lr": lr, "steps": steps, "lam": lam} if method == "imaml" else {"lr": lr, "steps": steps}


def update_arrow(method, theta, tasks, outer, lr, steps, lam=None):
    """Δθ = −outer · (1/T) Σ_i g_i(θ) with g_i the method's meta-gradient (Reptile: θ − U_i^k(θ), outer = β)."""
    return -outer * meta_gradient(method, LOSS, theta, tasks, **method_hyper(method, lr, steps, lam))


def stack_tasks(tasks, points):
    """The T tasks side by side for one vectorised pass: θ copied per task, shape (2, T, n, n), and the support
    and query sets as (x, y) of shape (T, 1, 1, N), which the softplus loss broadcasts to one value per task and
    grid point, shape (T, n, n)."""
    def stack(sets):
        return tuple(onp.stack([s[j] for s in sets])[:, None, None, :] for j in (0, 1))

    copies = onp.repeat(points[:, None], len(tasks), axis=1)
    return copies, stack([t.train for t in tasks]), stack([t.test for t in tasks])


def meta_loss_path(points, tasks, lr, lam=0.0):
    """Yield the meta-loss surfaces (1/T) Σ_i L_i(φ_i^k) for k = 0, 1, 2, … of the inner loop of rate α with
    proximal strength λ (0 for plain steps), all tasks in one vectorised pass over the grid."""
    copies, train, test = stack_tasks(tasks, points)
    for phi in landscape.grid_inner_path(LOSS, copies, train, lr, lam):
        yield LOSS(phi, test).mean(axis=0)


def contour_values(kind, points, tasks, lr=None, steps=None, lam=None):
    """The background surface on the grid ``points`` (2, n, n).

    kind "mean": (1/T) Σ_i L_i(θ); "task<i>": L_i(θ); a method name: its meta-loss (1/T) Σ_i L_i(U_i(θ)) with
    U_i the method's inner loop (k = ``steps`` plain steps of rate α; for iMAML the proximal steps with λ).
    """
    if kind == "mean":
        return sum(LOSS(points, task.train) for task in tasks) / len(tasks)
    if kind.startswith("task"):
        return LOSS(points, tasks[int(kind[4:])].train)
    return next(islice(meta_loss_path(points, tasks, lr, lam if kind == "imaml" else 0.0), steps, None))


def contour_options():
    """(label, kind) pairs for the contour dropdown."""
    methods = [(f"{plotting.LABELS[m]} meta-loss (its inner loop)", m) for m in METHODS]
    single = [(f"task {i + 1} only: true (a, b) = ({a:g}, {b:g})", f"task{i}") for i, (a, b) in enumerate(TRUE_PARAMS)]
    return methods + [("mean loss, no adaptation", "mean")] + single


def _levels(values, n=14):
    """Contour levels at quantiles of the surface, so every surface shows structure whatever its scale."""
    levels = onp.unique(onp.quantile(values, onp.linspace(0.01, 0.97, n)))
    return levels if levels.size > 1 else onp.array([values.min(), values.min() + 1.0])


def _controls():
    """θ position, the contour choice, and one row per method: on/off, outer rate, α, k (and λ for iMAML)."""
    style = {"description_width": "initial"}
    row_width = widgets.Layout(width="230px")
    controls = {
        "theta_a": widgets.FloatSlider(value=0.5, min=EXTENT[0], max=EXTENT[1], step=0.01, description="θ: a",
                                       style=style),
        "theta_b": widgets.FloatSlider(value=0.9, min=EXTENT[2], max=EXTENT[3], step=0.01, description="θ: b",
                                       style=style),
        "contour": widgets.Dropdown(options=contour_options(), value="maml", description="contour", style=style),
        # The article's outer rates give steps of a few hundredths: drawn longer so that directions can be told apart.
        "arrow_scale": widgets.ToggleButtons(options=[("×1", 1), ("×5", 5), ("×20", 20)], value=5,
                                             description="draw arrows", style={"button_width": "40px",
                                                                               "description_width": "initial"}),
    }
    for m in METHODS:
        d = DEFAULTS[m]
        reptile = m == "reptile"
        controls[f"{m}_on"] = widgets.Checkbox(value=True, description=plotting.LABELS[m], indent=False,
                                               layout=widgets.Layout(width="90px"))
        controls[f"{m}_outer"] = widgets.FloatSlider(
            value=d["outer"], min=0.0, max=1.0 if reptile else 0.1, step=0.05 if reptile else 0.005,
            description="interpolation β" if reptile else "outer rate", style=style, layout=row_width)
        # α ≤ 0.06 keeps plain inner steps stable on these tasks (largest Hessian eigenvalue about 28 here).
        controls[f"{m}_lr"] = widgets.FloatSlider(
            value=d["lr"], min=0.005, max=0.06, step=0.005, readout_format=".3f", description="inner rate α",
            style=style, layout=row_width, continuous_update=False)
        controls[f"{m}_steps"] = widgets.IntSlider(
            value=d["steps"], min=1, max=MAX_STEPS, description="inner steps k", style=style, layout=row_width,
            continuous_update=False)
    controls["imaml_lam"] = widgets.FloatLogSlider(
        value=DEFAULTS["imaml"]["lam"], base=10, min=-2, max=1, step=0.05, description="λ", style=style,
        layout=row_width, continuous_update=False)
    return controls


def _settings(values, method):
    """The values of one method's controls: on, outer, lr, steps and lam (None unless iMAML)."""
    return {field: values.get(f"{method}_{field}") for field in ("on", "outer", "lr", "steps", "lam")}


def meta_gradient_comparison():
    """The comparison widget: each switched-on method's update arrow from θ over the chosen contour."""
    tasks = [problem.task for problem in comparison_tasks()]
    points = landscape.grid(EXTENT, n=40)
    fig, ax = plotting.figure(width=5.2, height=5.2)
    ax.set_xlim(EXTENT[:2])
    ax.set_ylim(EXTENT[2:])
    ax.set_aspect("equal")
    ax.set_xticks([0.0, 0.5, 1.0])
    ax.set_yticks([0.0, 0.5, 1.0])
    ax.set_xlabel("a (slope)")
    ax.set_ylabel("b (offset)")
    true = onp.array(TRUE_PARAMS)
    ax.plot(true[:, 0], true[:, 1], "*", color=plotting.COLORS["task"], ms=12, zorder=3)
    for i, (a, b) in enumerate(TRUE_PARAMS):
        ax.annotate(str(i + 1), (a, b), textcoords="offset points", xytext=(6, 4), color=plotting.COLORS["task"])
    # θ and the arrows move with the sliders: ``animated`` lets Demo redraw them over a cached background.
    (theta_dot,) = ax.plot([], [], "o", color="black", ms=7, zorder=5, animated=True)
    arrows = {m: ax.quiver([0.0], [0.0], [0.0], [0.0], color=plotting.COLORS[m], angles="xy", scale_units="xy",
                           scale=1.0, width=0.008, zorder=4, animated=True) for m in METHODS}
    handles = [Line2D([], [], color=plotting.COLORS[m], lw=3, label=plotting.LABELS[m]) for m in METHODS]
    handles.append(Line2D([], [], ls="", marker="*", ms=10, color=plotting.COLORS["task"], label="task optima"))
    ax.legend(handles=handles, loc="upper left", fontsize=8)
    labels = dict((kind, label) for label, kind in contour_options())
    # What is on screen, for tests and check cells: Δθ per method (None where hidden), the contour's surface.
    state = {"arrows": {m: None for m in METHODS}, "surface": None, "key": None, "contour": None}

    @lru_cache(maxsize=1024)  # moving one method's control recomputes that method's arrow only
    def method_arrow(method, theta_a, theta_b, outer, lr, steps, lam):
        return _method_arrow(method, onp.array([theta_a, theta_b]), tasks, outer, lr, steps, lam)

    # (α, λ) → (the generator of that inner loop's meta-loss surfaces, the surfaces so far); MAML, FOMAML and
    # Reptile share an inner loop, so they share its surfaces (λ = 0).
    paths = {}

    def surface(kind, lr=None, steps=None, lam=None):
        if kind not in METHODS:
            values = contour_values(kind, points, tasks)
        else:
            if len(paths) > 32:  # bound the memory a long session of slider moves can hold
                paths.clear()
            key = (lr, lam if kind == "imaml" else 0.0)
            path, done = paths.setdefault(key, (meta_loss_path(points, tasks, *key), []))
            while len(done) <= steps:
                done.append(next(path))
            values = done[steps]
        # A wildly overshooting inner loop can overflow a few grid points; keep the picture finite.
        return onp.nan_to_num(values, nan=1e6, posinf=1e6)

    # The default inner loops, every step count up front: moving a steps slider then costs no grid work.
    surface("maml", DEFAULTS["maml"]["lr"], MAX_STEPS)
    surface("imaml", DEFAULTS["imaml"]["lr"], MAX_STEPS, DEFAULTS["imaml"]["lam"])

    def draw(**values):
        theta = onp.array([values["theta_a"], values["theta_b"]])
        kind = values["contour"]
        key = (kind,)
        if kind in METHODS:
            s = _settings(values, kind)
            key = (kind, s["lr"], s["steps"], s["lam"] if kind == "imaml" else None)
        if key != state["key"]:
            if state["contour"] is not None:
                state["contour"].remove()
            z = state["surface"] = surface(*key)
            # Filled bands rather than lines: as readable, and a far smaller image to send to the browser.
            state["contour"] = ax.contourf(points[0], points[1], z, levels=_levels(z), cmap="viridis", alpha=0.45,
                                           extend="both", zorder=1)
            state["key"] = key
        title = f"{labels[kind]}; arrows drawn ×{values['arrow_scale']}"
        if ax.get_title() != title:  # only a real change, so that the cached background stays valid
            ax.set_title(title, fontsize=10)
        theta_dot.set_data([theta[0]], [theta[1]])
        notes = []
        for m in METHODS:
            s = _settings(values, m)
            arrow = None
            if s["on"]:
                arrow, note = method_arrow(m, *theta, s["outer"], s["lr"], s["steps"], s["lam"])
                notes.append(note)
            state["arrows"][m] = None if arrow is None else arrow.copy()
            arrows[m].set_offsets(theta[None])
            arrows[m].set_UVC(*(values["arrow_scale"] * arrow if arrow is not None else (0.0, 0.0)))
            arrows[m].set_visible(arrow is not None)
        return "Δθ = −rate × meta-gradient:  " + ("  ·  ".join(notes) if notes else "no method switched on")

    demo = Demo(fig, draw, _controls(), title="Four methods, one θ: where does each move it?",
                layout=[["theta_a", "theta_b", "contour", "arrow_scale"]]
                + [[f"{m}_{f}" for f in ("on", "outer", "lr", "steps")] + (["imaml_lam"] if m == "imaml" else [])
                   for m in METHODS])
    demo.state, demo.points = state, points
    return demo


def _method_arrow(method, theta, tasks, outer, lr, steps, lam):
    """(Δθ or None, a short note) for one method; degenerate settings give None and say why.

    ``lam`` is used by iMAML only. Within the sliders' ranges no inner loop runs away (α ≤ 0.06 keeps α h_max below
    2 on the plotted square, and the proximal loop stays bounded even where α (λ + h_max) ≥ 2 at θ, because the
    curvature changes as φ moves: tests/test_demos_comparison.py sweeps both), so only iMAML's linear system can
    fail; the non-finite guard is for anything else.
    """
    name = plotting.LABELS[method]
    lam = lam if method == "imaml" else None
    try:
        arrow = update_arrow(method, theta, tasks, outer, lr, steps, lam)
    except NotPositiveDefiniteError:
        return None, (f"{name}: hidden, I + H/λ is not positive definite at φ* (λ = {lam:.3g} is below "
                      "−λ_min(H)), so conjugate gradient has no valid answer: raise λ")
    if not onp.all(onp.isfinite(arrow)):
        return None, f"{name}: hidden, the inner loop diverged (non-finite meta-gradient): lower α"
    return arrow, f"{name} ({arrow[0]:+.3f}, {arrow[1]:+.3f})"


DEMOS = {"meta_gradient_comparison": meta_gradient_comparison}
