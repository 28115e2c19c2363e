"""iMAML on two bumpy 2-D tasks: the regularised inner problem, and the implicit meta-gradient it gives.

Each task's loss is a sum of four sigmoid bumps, L_i(φ) = Σ_k f_k · sigmoid(−10 ‖φ − c_ik‖²) with factors
f = (−1, −1.5, 2, −1.5) (three valleys and a hill). iMAML adapts by (approximately) solving

    φ_i* = argmin_φ  L_i(φ) + λ/2 ‖φ − θ‖²,

whose optimality condition ∇L_i(φ*) + λ(φ* − θ) = 0 gives dφ*/dθ = (I + H_i/λ)⁻¹, H_i = ∇²L_i(φ*), and the
meta-gradient g_i = (I + H_i/λ)⁻¹ ∇L_i^test(φ*), solved by conjugate gradient (``imaml_grad``).
The regulariser is λ/2 ‖φ − θ‖² throughout (the article's figures used λ ‖φ − θ‖²), and the inner path is the
real gradient descent of ``proximal_adapt`` (the article drew arrows from the optimality condition instead).
"""
import autograd
import autograd.numpy as np
import ipywidgets as widgets
import numpy as onp
from matplotlib.lines import Line2D

from .. import landscape
from ..inner import hessian, inner_path
from ..meta import NotPositiveDefiniteError, imaml_grad
from ..plotting import COLORS, figure
from ..tasks import Bumps
from .base import STYLE, Demo, theta_sliders
from .landscapes import grid_argmin

# Bump centres (valley, valley, hill, valley) of the two tasks. Task 1's deep valleys lie on the left, task 2's
# on the right, so from the middle of the square the tasks pull θ apart; the layouts are roughly, not exactly,
# mirror images, so that the two meta-gradients do not cancel at the centre. Each hill makes a region of negative
# curvature where I + H/λ is not positive definite for small λ.
CENTRES = (
    ((0.75, 0.75), (0.2, 0.3), (0.6, 0.35), (0.25, 0.8)),
    ((0.2, 0.2), (0.85, 0.6), (0.35, 0.65), (0.7, 0.25)),
)
FACTORS = (-1.0, -1.5, 2.0, -1.5)
EXTENT = (0.0, 1.0, 0.0, 1.0)
INNER_LR, INNER_STEPS, CG_STEPS = 0.05, 10, 5  # the article's inner loop: 10 gradient steps of rate 0.05
# Arrows are vectors in gradient units drawn in φ-space: the forces at φ_i at a tenth of their length, the
# meta-gradient (much shorter once φ_i sits in a valley) at full length.
FORCE_SCALE, GRAD_SCALE = 0.1, 1.0
TASK_COLORS = ("#1f77b4", "#8c564b")  # blue, brown: the two tasks (as in the other two-task landscapes)
CMAP = "viridis"


def bump_tasks():
    """The two Bumps tasks of the iMAML figures (sharpness 10)."""
    return [Bumps(centres, FACTORS) for centres in CENTRES]


def regularised_loss(loss, phi, data, theta, lam):
    """L(φ) + λ/2 ‖φ − θ‖² (φ of shape (2,) or a grid (2, ...), θ of shape (2,)): iMAML's inner objective."""
    offset = phi - np.reshape(theta, (-1,) + (1,) * (np.ndim(phi) - 1))
    return loss(phi, data) + 0.5 * lam * np.sum(offset ** 2, axis=0)


def proximal_path(loss, theta, data, lr, steps, lam):
    """[φ⁰ = θ, …, φᵏ] of φ ← φ − α (∇L(φ) + λ(φ − θ)): plain descent on ``regularised_loss``, as an array.

    Its last point is ``proximal_adapt(loss, theta, data, lr, steps, lam)``.
    """
    def objective(phi, task_data):
        return regularised_loss(loss, phi, task_data, theta, lam)

    return onp.array(inner_path(objective, theta, data, lr, steps))


def _vector(v):
    """'(+0.123, -0.045)', with a rounded −0 shown as +0.000."""
    x, y = onp.round(v, 3) + 0.0
    return f"({x:+.3f}, {y:+.3f})"


def _panels(titles):
    fig, axes = figure(ncols=2, width=3.9, height=4.6)
    for ax, title in zip(axes, titles):
        ax.set(xlim=EXTENT[:2], ylim=EXTENT[2:], aspect="equal", xticks=[0, 0.5, 1], yticks=[0, 0.5, 1],
               title=title)
        ax.grid(False)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.93, bottom=0.27, wspace=0.15)
    return fig, axes


def _theta_marker(ax):
    return ax.plot([], [], "o", ms=8, color="white", mec="black", ls="none", zorder=6, clip_on=False,
                   animated=True)[0]


def _levels(values, n=16):
    """Contour levels at quantiles of the surface: its scale changes a hundredfold as λ moves."""
    levels = onp.unique(onp.quantile(values, onp.linspace(0.0, 1.0, n)))
    return levels if levels.size > 1 else onp.array([values.min() - 1.0, values.min() + 1.0])


def imaml_regularised(a=0.5, b=0.5, lam=1.0, n=50):
    """Contours of each task's L_i(φ) + λ/2 ‖φ − θ‖², with θ and the grid minimiser φ_i*; λ = 0 gives L_i alone."""
    tasks = bump_tasks()
    points = landscape.grid(EXTENT, n)
    plain = [task.loss(points, task.data) for task in tasks]
    fig, axes = _panels([r"task 1: $L_1(\phi) + \frac{\lambda}{2}\|\phi-\theta\|^2$",
                         r"task 2: $L_2(\phi) + \frac{\lambda}{2}\|\phi-\theta\|^2$"])
    thetas, minima, filled = [], [], [None, None]
    for i, ax in enumerate(axes):
        ax.plot(*grid_argmin(points, plain[i]), marker="X", ms=9, color=TASK_COLORS[i], mec="white",
                ls="none", zorder=4)
        minima.append(ax.plot([], [], marker="*", ms=15, color="white", mec="black", ls="none", zorder=5)[0])
        thetas.append(_theta_marker(ax))
    fig.legend(handles=[
        Line2D([], [], marker="o", color="white", mec="black", ls="none", label="θ"),
        Line2D([], [], marker="*", ms=12, color="white", mec="black", ls="none",
               label="φ* = argmin of the regularised loss (grid)"),
        Line2D([], [], marker="X", ms=8, color="grey", mec="white", ls="none", label="the task's own minimum (λ = 0)"),
    ], loc="lower center", ncol=2, fontsize=8)
    drawn = {}

    def draw(theta_a, theta_b, lam, lam_zero):
        theta = onp.array([theta_a, theta_b])
        strength = 0.0 if lam_zero else lam
        controls["lam"].disabled = lam_zero
        surfaces = [regularised_loss(task.loss, points, task.data, theta, strength) for task in tasks]
        found = []
        for i, (ax, surface) in enumerate(zip(axes, surfaces)):
            if filled[i] is not None:
                filled[i].remove()
            filled[i] = ax.contourf(*points, surface, levels=_levels(surface), cmap=CMAP, zorder=0)
            found.append(grid_argmin(points, surface))
            minima[i].set_data(*found[-1][:, None])
            thetas[i].set_data([theta_a], [theta_b])
        drawn.update(surfaces=surfaces, minimisers=found, lam=strength)
        where = "; ".join(f"φ_{i + 1}* ≈ ({p[0]:.2f}, {p[1]:.2f}), ‖φ_{i + 1}* − θ‖ = {onp.linalg.norm(p - theta):.2f}"
                          for i, p in enumerate(found))
        if lam_zero:
            return (f"λ = 0: the plain task losses. {where}. The minimiser no longer depends on θ, so the implicit "
                    "meta-gradient vanishes: (I + H/λ)⁻¹∇L = λ(λI + H)⁻¹∇L → 0 as λ → 0 where H is positive definite.")
        return f"λ = {lam:.3g}: {where} (colours: quantiles of each surface)."

    controls = {
        **theta_sliders(a, b, labels=("x", "y")),
        "lam": widgets.FloatLogSlider(value=lam, base=10, min=-2, max=2, step=0.05, description="λ",
                                      readout_format=".3g", style=STYLE),
        "lam_zero": widgets.Checkbox(value=False, description="λ = 0 (no regulariser)", style=STYLE),
    }
    demo = Demo(fig, draw, controls, title="iMAML's inner objective: the task loss plus a spring λ/2 ‖φ − θ‖² to θ")
    demo.drawn, demo.points = drawn, points
    return demo


def implicit_gradient(theta, task, lam, lr=INNER_LR, steps=INNER_STEPS, cg_steps=CG_STEPS):
    """iMAML on one task from θ, as drawn: a dict with

    path   the inner path φ⁰ = θ … φᵏ of ``proximal_adapt`` (k steps of rate α),
    force  −∇L_train(φᵏ), where the task pulls φ;  pull  λ(θ − φᵏ), where the spring pulls it,
    residual  ‖∇L_train(φᵏ) + λ(φᵏ − θ)‖, zero at the exact minimiser φ*,
    h_min  the smallest eigenvalue of H_train(φᵏ),
    grad   ``imaml_grad`` = (I + H/λ)⁻¹ ∇L_test(φᵏ) by CG, or None when I + H/λ is not positive definite.
    """
    loss = Bumps.loss
    path = proximal_path(loss, theta, task.train, lr, steps, lam)
    phi = path[-1]
    force = -autograd.grad(loss)(phi, task.train)
    pull = lam * (theta - phi)
    h_min = onp.linalg.eigvalsh(hessian(loss, phi, task.train))[0]
    try:
        grad = imaml_grad(loss, theta, task, lr, steps, lam, cg_steps)
    except NotPositiveDefiniteError:
        grad = None
    if 1.0 + h_min / lam <= 0.0:  # CG may miss the bad direction in a few steps; its answer is meaningless then
        grad = None
    return {"path": path, "force": force, "pull": pull, "residual": float(onp.linalg.norm(force + pull)),
            "h_min": float(h_min), "grad": grad}


def imaml_implicit_gradient(a=0.5, b=0.5, lam=2.0, n=50, tasks=None):
    """Per task: contours of L_i, the real inner path θ → φ_i, the two forces at φ_i and the iMAML meta-gradient.

    ``tasks`` (default: the two bump tasks, support = query) may give Task(train, test) pairs with different
    query sets: the meta-gradient then uses the query gradient, the inner loop and contours the support set.
    """
    tasks = tasks or [bump.task for bump in bump_tasks()]
    points = landscape.grid(EXTENT, n)
    fig, axes = _panels([f"task {i + 1}: $L_{i + 1}(\\phi)$" for i in range(len(tasks))])
    # The moving parts are animated: drawn over a cached picture of the contours (Demo.render_png).
    force = {"angles": "xy", "scale_units": "xy", "scale": 1.0 / FORCE_SCALE, "zorder": 5, "width": 0.012,
             "animated": True}
    meta = {"angles": "xy", "scale_units": "xy", "scale": 1.0 / GRAD_SCALE, "zorder": 5, "width": 0.02,
            "animated": True}
    artists = []
    for i, (ax, task) in enumerate(zip(axes, tasks)):
        values = Bumps.loss(points, task.train)
        ax.contourf(*points, values, levels=_levels(values), cmap=CMAP, zorder=0)
        artists.append({
            "path": ax.plot([], [], "-o", color="white", mfc=COLORS["imaml"], mec="white", ms=4, lw=1.2, zorder=3,
                            animated=True)[0],
            "force": ax.quiver([0.0], [0.0], [0.0], [0.0], color=TASK_COLORS[i], **force),
            "pull": ax.quiver([0.0], [0.0], [0.0], [0.0], color="white", **force),
            "grad": ax.quiver([0.0], [0.0], [0.0], [0.0], color=COLORS["imaml"], **meta),
            "theta": _theta_marker(ax),
        })
    fig.legend(handles=[
        Line2D([], [], marker="o", color="white", mec="black", ls="none", label="θ"),
        Line2D([], [], marker="o", mfc=COLORS["imaml"], mec="white", color="grey",
               label=f"inner path θ → φ_i ({INNER_STEPS} steps, α = {INNER_LR})"),
        Line2D([], [], color=TASK_COLORS[0], lw=3, label=f"−∇L_i(φ_i): the task's pull (× {FORCE_SCALE:g})"),
        Line2D([], [], color="lightgrey", lw=3, label=f"λ(θ − φ_i): the spring back to θ (× {FORCE_SCALE:g})"),
        Line2D([], [], color=COLORS["imaml"], lw=4, label=f"−g_i: iMAML meta-update direction (× {GRAD_SCALE:g})"),
    ], loc="lower center", ncol=2, fontsize=8)
    drawn = {}

    def draw(theta_a, theta_b, lam):
        theta = onp.array([theta_a, theta_b])
        results = [implicit_gradient(theta, task, lam) for task in tasks]
        notes = []
        for i, (parts, result) in enumerate(zip(artists, results)):
            phi = result["path"][-1]
            parts["path"].set_data(result["path"][:, 0], result["path"][:, 1])
            parts["theta"].set_data([theta_a], [theta_b])
            for name, start, vector in (("force", phi, result["force"]), ("pull", phi, result["pull"]),
                                        ("grad", theta, -result["grad"] if result["grad"] is not None else None)):
                parts[name].set_offsets(start[None, :])
                parts[name].set_UVC(*(vector if vector is not None else onp.zeros(2))[:, None])
                parts[name].set_visible(vector is not None)
            if result["grad"] is None:
                notes.append(f"task {i + 1}: λ_min(H) = {result['h_min']:.2f} at φ_{i + 1}, so I + H/λ is not "
                             f"positive definite (λ ≤ −λ_min(H)); conjugate gradient has no valid answer and the "
                             "meta-gradient is hidden: raise λ")
            else:
                notes.append(f"task {i + 1}: g = {_vector(result['grad'])}, optimality residual "
                             f"‖∇L + λ(φ − θ)‖ = {result['residual']:.3f}")
        drawn.update(results=results, lam=lam)
        grads = [r["grad"] for r in results]
        mean = (f"mean meta-gradient {_vector(onp.mean(grads, axis=0))}" if all(g is not None for g in grads)
                else "mean meta-gradient undefined")
        return f"λ = {lam:.3g}: " + "; ".join(notes) + f". {mean}."

    # Each redraw runs two inner loops, two Hessians and CG (about 80 gradient evaluations): redraw on release.
    controls = {
        **theta_sliders(a, b, labels=("x", "y"), continuous_update=False),
        "lam": widgets.FloatLogSlider(value=lam, base=10, min=-1, max=1, step=0.05, description="λ",
                                      readout_format=".3g", style=STYLE, continuous_update=False),
    }
    demo = Demo(fig, draw, controls, title="iMAML's implicit meta-gradient from the real inner loop")
    demo.drawn, demo.artists = drawn, artists
    return demo


DEMOS = {"imaml_regularised": imaml_regularised, "imaml_implicit_gradient": imaml_implicit_gradient}
