"""Two softplus line fits L_i(θ) = ½ Σ_j (softplus(a·x_j + b) − y_j)² over θ = (a, b) ∈ [0, 1]²:
the meta-loss Σ_i L_i(U_i^m(θ)) after m steps U_i(θ) = θ − α ∇L_i(θ), and the arrows θ → U_i(θ)."""
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm

from .. import landscape
from ..inner import adapt, inner_loop
from ..tasks import SoftplusLine, softplus_line_loss
from .base import UNIT, Demo, arrow, marker, panels, place, sliders

TRUE_LINES = ((0.3, 0.05), (0.83, 0.75))
TASK_COLORS = ("#1f77b4", "#8c564b")  # blue, brown: the two tasks (method colours stay for methods)
# Fixed, roughly geometric levels shared by every picture: a change of m changes the colours.
LEVELS = np.concatenate([[0.0], np.geomspace(0.01, 16.0, 17)])
NORM = BoundaryNorm(LEVELS, 256)
CMAP = "viridis"


def two_tasks():
    """The article's two softplus tasks, each with its own 10 points (seeds 0 and 1)."""
    return [SoftplusLine(a, b, seed=seed) for seed, (a, b) in enumerate(TRUE_LINES)]


def meta_loss_grids(loss, tasks, points, lr, max_steps, lam=0.0):
    """L_i(φ_i^m) at every grid point θ for m = 0..max_steps, shape (max_steps + 1, T, *grid):
    one inner loop per task (plain, or proximal with λ), its iterates shared by every m."""
    paths = [inner_loop(loss, points, task.train, lr, max_steps, lam, path=True) for task in tasks]
    return np.array([[loss(phis[m], task.test) for phis, task in zip(paths, tasks)]
                     for m in range(max_steps + 1)])


def grid_argmin(points, values):
    """The grid point (a, b) where ``values`` is smallest."""
    i, j = np.unravel_index(np.argmin(values), values.shape)
    return points[:, i, j]


def contour_loss(ax, points, values, **options):
    """Filled contours of a loss on the fixed levels (0 to 16) of every softplus landscape."""
    return ax.contourf(*points, values, levels=LEVELS, norm=NORM, cmap=CMAP, zorder=0, extend="max",
                       **options)


def _panels(titles, tasks):
    """[0, 1]² panels sharing the b axis and a colour bar, marking the true (a, b) of tasks[k]."""
    fig, axes = panels(titles, xlabel="a", ylabel="b", width=3.3, height=3.4, layout="constrained")
    for k, (ax, which) in enumerate(zip(axes, tasks)):
        ax.tick_params(labelleft=k == 0)
        for i in which:
            ax.plot(*TRUE_LINES[i], marker="o", ms=8, color=TASK_COLORS[i], mec="white", mew=1.5,
                    ls="none", label=f"true (a, b) of task {i + 1}")
    fig.colorbar(ScalarMappable(NORM, CMAP), ax=axes, shrink=0.8, label="loss",
                 ticks=LEVELS[::3], format="%.2g")
    return fig, axes


def meta_loss_landscape(steps=0, lr=0.01, n=60, max_steps=20):
    """Σ_i L_i(U_i^m(θ)) and each L_i(U_i^m(θ)) for m = 0..20 steps (α = 0.01), every picture
    contoured when built so that the slider only swaps them."""
    tasks = [t.task for t in two_tasks()]
    points = landscape.grid(UNIT, n)
    per_task = meta_loss_grids(softplus_line_loss, tasks, points, lr, max_steps)
    pictures = np.concatenate([per_task.sum(axis=1, keepdims=True), per_task], axis=1)
    fig, axes = _panels((r"summed: $\Sigma_i\,L_i(U_i^m(\theta))$", r"task 1: $L_1(U_1^m(\theta))$",
                         r"task 2: $L_2(U_2^m(\theta))$"), ((0, 1), (0,), (1,)))
    minima = [marker(ax, "*", ms=14, color="white", mec="black", label="grid minimum", zorder=5)
              for ax in axes]
    axes[0].legend(loc="upper left", fontsize=7, framealpha=0.8, frameon=True)
    contours = [(m, contour_loss(ax, points, pictures[m, k], visible=False))
                for m in range(max_steps + 1) for k, ax in enumerate(axes)]

    def draw(steps):
        for m, contour in contours:  # show the pictures of m = steps only
            contour.set_visible(m == steps)
        for k, minimum in enumerate(minima):
            minimum.set_data(*grid_argmin(points, pictures[steps, k])[:, None])
        a, b = grid_argmin(points, pictures[steps, 0])
        what = "the joint-training loss L_1(θ) + L_2(θ)" if steps == 0 else "the summed meta-loss"
        return (f"m = {steps}: {what} is smallest at (a, b) ≈ ({a:.2f}, {b:.2f}), "
                f"value {pictures[steps, 0].min():.3f}")

    return Demo(fig, draw, sliders({"steps": ("fine-tuning steps m", steps, 0, max_steps, 1)}),
                title="Meta-loss landscape of two softplus tasks as fine-tuning steps grow")


def two_task_arrows(a=0.35, b=0.55, lr=0.04, n=60):
    """The two task landscapes L_i(θ) side by side, each with its arrow θ → φ_i = θ − α ∇L_i(θ)."""
    lines = two_tasks()
    points = landscape.grid(UNIT, n)
    fig, axes = _panels((r"task 1: $L_1(\theta)$", r"task 2: $L_2(\theta)$"), ((0,), (1,)))
    arrows, thetas = [], []
    for i, (ax, line) in enumerate(zip(axes, lines)):
        contour_loss(ax, points, softplus_line_loss(points, line.data))
        arrows.append(arrow(ax, TASK_COLORS[i], width=0.015, zorder=4, label=f"φ_{i + 1} − θ"))
        thetas.append(marker(ax, ms=6, color="white", mec="black", zorder=5, label="θ"))
        ax.legend(loc="upper right", fontsize=7, framealpha=0.8, frameon=True)

    def draw(a, b, lr):
        theta = np.array([a, b])
        phis = [adapt(line.loss, theta, line.data, lr, 1) for line in lines]
        losses = [(line.loss(theta, line.data), line.loss(phi, line.data))
                  for line, phi in zip(lines, phis)]
        for quiver, dot, phi in zip(arrows, thetas, phis):
            place(quiver, theta, phi - theta)
            dot.set_data([a], [b])
        parts = [f"φ_{i + 1} = ({phi[0]:.3f}, {phi[1]:.3f}), L_{i + 1}: {before:.3f} → {after:.3f}"
                 for i, (phi, (before, after)) in enumerate(zip(phis, losses))]
        meta = sum(after for _, after in losses)  # what MAML scores (m = 1)
        return (f"θ = ({a:.2f}, {b:.2f}), α = {lr:.3f}: " + "; ".join(parts)
                + f"; L_1(φ_1) + L_2(φ_2) = {meta:.3f}")

    controls = sliders({"a": ("θ: a", a, 0.0, 1.0, 0.01), "b": ("θ: b", b, 0.0, 1.0, 0.01),
                        "lr": ("inner lr α", lr, 0.01, 0.05, 0.005, {"readout_format": ".3f"})})
    return Demo(fig, draw, controls,
                title="One fine-tuning step on each task: θ → φ_i = θ − α∇L_i(θ)")
