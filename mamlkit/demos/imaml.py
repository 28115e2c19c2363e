"""iMAML on two 2-D tasks of four sigmoid bumps: φ_i* = argmin_φ L_i(φ) + λ/2 ‖φ − θ‖² and the
meta-gradient g_i = (I + H_i/λ)⁻¹ ∇L_i^test(φ*), H_i = ∇²L_i(φ*), solved by conjugate gradient."""
import autograd
import ipywidgets as widgets
import numpy as np
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patheffects import withStroke

from .. import landscape
from ..inner import hessian, inner_loop
from ..meta import imaml_grad
from ..plotting import COLORS
from ..tasks import Bumps
from .base import FULL, UNIT, Demo, arrow, marker, pair, panels, place, quantile_levels, sliders
from .landscapes import CMAP, TASK_COLORS, grid_argmin

# Bump centres (valley, valley, hill, valley). Task 1's deep valleys lie on the left, task 2's on
# the right, roughly but not exactly mirrored, so that the meta-gradients do not cancel at the
# centre. Each hill makes a region of negative curvature where I + H/λ is indefinite for small λ.
CENTRES = (((0.75, 0.75), (0.2, 0.3), (0.6, 0.35), (0.25, 0.8)),
           ((0.2, 0.2), (0.85, 0.6), (0.35, 0.65), (0.7, 0.25)))
FACTORS = (-1.0, -1.5, 2.0, -1.5)
INNER_LR, INNER_STEPS, CG_STEPS = 0.05, 10, 5  # the article's inner loop: 10 steps of rate 0.05
# Arrows in gradient units: the forces at φ_i drawn at a tenth of their length, −g_i at full length.
FORCE_SCALE, GRAD_SCALE = 0.1, 1.0
# White artists (the inner path, the spring) get a black outline, in the plot and its legend alike
OUTLINE = [withStroke(linewidth=2.6, foreground="black")]


def bump_tasks():
    """The two Bumps tasks of the iMAML figures (sharpness 10)."""
    return [Bumps(centres, FACTORS) for centres in CENTRES]


def regularised_loss(loss, phi, data, theta, lam):
    """L(φ) + λ/2 ‖φ − θ‖², iMAML's inner objective, for φ of shape (2,) or a grid (2, ...)."""
    offset = phi - np.reshape(theta, (-1,) + (1,) * (np.ndim(phi) - 1))
    return loss(phi, data) + 0.5 * lam * (offset ** 2).sum(axis=0)


def _panels(titles, *entries):
    """Two [0, 1]² panels, each with an animated θ marker, and a legend of θ and ``entries``:
    (handle, label) pairs, where a tuple of handles is one entry (something drawn in each task's
    colour shows both colours)."""
    fig, axes = panels(titles, width=3.9, height=4.6)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.93, bottom=0.27, wspace=0.15)
    theta = Line2D([], [], marker="o", color="white", mec="black", ls="none")
    handles, labels = zip((theta, "θ"), *entries)
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8,
               handler_map={tuple: HandlerTuple(ndivide=None)})
    thetas = [marker(ax, ms=8, color="white", mec="black", zorder=6, clip_on=False) for ax in axes]
    return fig, axes, thetas


def _per_task(**style):
    """One legend handle per task colour, shown side by side as one entry."""
    return tuple(Line2D([], [], color=color, **style) for color in TASK_COLORS)


def imaml_regularised(a=0.5, b=0.5, lam=1.0, n=50):
    """Each task's L_i(φ) + λ/2 ‖φ − θ‖² (L_i alone for λ = 0) with θ and its grid minimiser."""
    tasks = bump_tasks()
    points = landscape.grid(UNIT, n)
    fig, axes, thetas = _panels(
        [rf"task {i}: $L_{i}(\phi) + \frac{{\lambda}}{{2}}\|\phi-\theta\|^2$" for i in (1, 2)],
        (Line2D([], [], marker="*", ms=12, color="white", mec="black", ls="none"),
         "φ* = argmin of the regularised loss (grid)"),
        (_per_task(marker="X", ms=8, mec="white", ls="none"),
         "the task's own minimum (λ = 0), task 1 / task 2"))
    for ax, task, color in zip(axes, tasks, TASK_COLORS):
        own = grid_argmin(points, task.loss(points, task.data))
        ax.plot(*own, marker="X", ms=9, color=color, mec="white", ls="none", zorder=4)
    minima = [marker(ax, "*", ms=15, color="white", mec="black", zorder=5) for ax in axes]
    filled = []

    def draw(theta_a, theta_b, lam, lam_zero):
        theta = np.array([theta_a, theta_b])
        strength = 0.0 if lam_zero else lam
        controls["lam"].disabled = lam_zero
        surfaces = [regularised_loss(task.loss, points, task.data, theta, strength)
                    for task in tasks]
        found = [grid_argmin(points, surface) for surface in surfaces]
        for artist in filled:
            artist.remove()
        filled[:] = [ax.contourf(*points, surface, levels=quantile_levels(surface, 16), cmap=CMAP,
                                 zorder=0) for ax, surface in zip(axes, surfaces)]
        for minimum, dot, p in zip(minima, thetas, found):
            minimum.set_data(*p[:, None])
            dot.set_data([theta_a], [theta_b])
        where = "; ".join(f"φ_{i + 1}* ≈ ({p[0]:.2f}, {p[1]:.2f}), ‖φ_{i + 1}* − θ‖ = "
                          f"{np.linalg.norm(p - theta):.2f}" for i, p in enumerate(found))
        if lam_zero:
            return (f"λ = 0: the plain task losses. {where}. The minimiser no longer depends on θ, "
                    "so the implicit meta-gradient vanishes: (I + H/λ)⁻¹∇L = λ(λI + H)⁻¹∇L → 0 "
                    "as λ → 0 where H is positive definite.")
        return f"λ = {lam:.3g}: {where} (colours: quantiles of each surface)."

    controls = sliders({"theta_a": ("θ: a", a, 0.0, 1.0, 0.01),
                        "theta_b": ("θ: b", b, 0.0, 1.0, 0.01),
                        "lam": ("λ", lam, -2, 2, 0.05, {"base": 10, "readout_format": ".3g"})})
    controls["lam_zero"] = widgets.Checkbox(value=False, description="λ = 0 (no regulariser)",
                                            style=FULL)
    return Demo(fig, draw, controls, drag=("theta_a", "theta_b", axes),
                title="iMAML's inner objective: the task loss plus a spring λ/2 ‖φ − θ‖² to θ")


def implicit_gradient(theta, task, lam, lr=INNER_LR, steps=INNER_STEPS, cg_steps=CG_STEPS):
    """iMAML on one task from θ, as drawn: the proximal inner path φ⁰ = θ … φᵏ, the task's pull
    "force" −∇L_train(φᵏ), the spring's "pull" λ(θ − φᵏ), the optimality "residual" ‖∇L_train(φᵏ)
    + λ(φᵏ − θ)‖, "h_min" λ_min(H_train(φᵏ)), and ``imaml_grad`` (None if I + H/λ is indefinite)."""
    loss = Bumps.loss
    path = np.array(inner_loop(loss, theta, task.train, lr, steps, lam, path=True))
    force, pull = -autograd.grad(loss)(path[-1], task.train), lam * (theta - path[-1])
    h_min = np.linalg.eigvalsh(hessian(loss, path[-1], task.train))[0]
    # I + H/λ is positive definite if and only if 1 + λ_min(H)/λ > 0: tested before solving
    grad = imaml_grad(loss, theta, task, lr, steps, lam, cg_steps) if 1 + h_min / lam > 0 else None
    return {"path": path, "force": force, "pull": pull, "h_min": float(h_min), "grad": grad,
            "residual": float(np.linalg.norm(force + pull))}


def imaml_implicit_gradient(a=0.5, b=0.5, lam=2.0, n=50):
    """Per task: L_i, the inner path θ → φ_i, the two forces at φ_i and −g_i."""
    tasks = [bump.task for bump in bump_tasks()]
    points = landscape.grid(UNIT, n)
    fig, axes, thetas = _panels(
        [f"task {i + 1}: $L_{i + 1}(\\phi)$" for i in range(len(tasks))],
        (Line2D([], [], marker="o", mfc=COLORS["imaml"], mec="white", color="white", lw=1.2,
                path_effects=OUTLINE),
         f"inner path θ → φ_i ({INNER_STEPS} steps, α = {INNER_LR})"),
        (_per_task(lw=3), f"−∇L_i(φ_i): the task's pull (× {FORCE_SCALE:g}), task 1 / task 2"),
        (Line2D([], [], color="white", lw=3, path_effects=OUTLINE),
         f"λ(θ − φ_i): the spring back to θ (× {FORCE_SCALE:g})"),
        (Line2D([], [], color=COLORS["imaml"], lw=4),
         f"−g_i: iMAML meta-update direction (× {GRAD_SCALE:g})"))
    at_phi = {"scale": 1.0 / FORCE_SCALE, "zorder": 5}
    artists = []  # per task: θ, the inner path, the two forces at φ_i and −g_i
    for ax, task, color, theta in zip(axes, tasks, TASK_COLORS, thetas):
        values = Bumps.loss(points, task.train)
        ax.contourf(*points, values, levels=quantile_levels(values, 16), cmap=CMAP, zorder=0)
        path = ax.plot([], [], "-o", color="white", mfc=COLORS["imaml"], mec="white", ms=4, lw=1.2,
                       zorder=3, animated=True, path_effects=OUTLINE)[0]
        force = arrow(ax, color, **at_phi)
        spring = arrow(ax, "white", edgecolor="black", linewidth=0.6, **at_phi)
        artists.append((theta, path, force, spring,
                        arrow(ax, COLORS["imaml"], scale=1.0 / GRAD_SCALE, width=0.02, zorder=5)))

    def draw(theta_a, theta_b, lam):
        theta = np.array([theta_a, theta_b])
        results = [implicit_gradient(theta, task, lam) for task in tasks]
        notes = []
        for i, ((dot, line, force, pull, update), result) in enumerate(zip(artists, results)):
            path, grad = result["path"], result["grad"]
            line.set_data(path[:, 0], path[:, 1])
            dot.set_data([theta_a], [theta_b])
            place(force, path[-1], result["force"])
            place(pull, path[-1], result["pull"])
            place(update, theta, None if grad is None else -grad)
            if grad is None:
                notes.append(f"task {i + 1}: λ_min(H) = {result['h_min']:.2f} at φ_{i + 1}, so "
                             "I + H/λ is not positive definite (λ ≤ −λ_min(H)); conjugate gradient "
                             "has no valid answer and the meta-gradient is hidden: raise λ")
            else:
                notes.append(f"task {i + 1}: g = {pair(grad)}, optimality residual "
                             f"‖∇L + λ(φ − θ)‖ = {result['residual']:.3f}")
        grads = [r["grad"] for r in results]
        mean = (f"mean meta-gradient {pair(np.mean(grads, axis=0))}"
                if all(g is not None for g in grads) else "mean meta-gradient undefined")
        return f"λ = {lam:.3g}: " + "; ".join(notes) + f". {mean}."

    # A redraw runs two inner loops, two Hessians and CG (about 80 gradients): redraw on release.
    controls = sliders({"theta_a": ("θ: a", a, 0.0, 1.0, 0.01),
                        "theta_b": ("θ: b", b, 0.0, 1.0, 0.01),
                        "lam": ("λ", lam, -1, 1, 0.05, {"base": 10, "readout_format": ".3g"})},
                       continuous_update=False)
    return Demo(fig, draw, controls, drag=("theta_a", "theta_b", axes),
                title="iMAML's implicit meta-gradient from the real inner loop")
