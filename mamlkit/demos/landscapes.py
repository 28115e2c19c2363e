"""Loss landscapes of two softplus line-fit tasks over θ = (a, b) ∈ [0, 1]²: the meta-loss as the number of
fine-tuning steps grows, and the one-step adaptation arrows θ → φ_i = U_i(θ).

Task i fits g(x) = softplus(a·x + b) to 10 points x ~ U(−3, 3) of its true line (a_i, b_i) with the loss
L_i(θ) = ½ Σ_j (g(x_j) − y_j)². One fine-tuning step is U_i(θ) = θ − α ∇L_i(θ). Pictures put a on the
horizontal axis and b on the vertical one (``landscape.grid`` is in 'xy' layout; the article's 'ij' grid
transposed them).
"""
import ipywidgets as widgets
import numpy as onp
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm

from .. import landscape
from ..inner import adapt
from ..plotting import figure
from ..tasks import SoftplusLine, softplus_line_loss
from .base import STYLE, Demo, theta_sliders

TRUE_LINES = ((0.3, 0.05), (0.83, 0.75))
TASK_COLORS = ("#1f77b4", "#8c564b")  # blue, brown: the two tasks (method colours are kept for methods)
EXTENT = (0.0, 1.0, 0.0, 1.0)
# Fixed, roughly geometric contour levels shared by every picture, so that a change of m changes the colours.
LEVELS = onp.concatenate([[0.0], onp.geomspace(0.01, 16.0, 17)])
NORM = BoundaryNorm(LEVELS, 256)
CMAP = "viridis"


def two_tasks():
    """The article's two softplus tasks, each with its own 10 points (seeds 0 and 1)."""
    return [SoftplusLine(a, b, seed=seed) for seed, (a, b) in enumerate(TRUE_LINES)]


def meta_loss_grids(loss, tasks, points, lr, max_steps):
    """L_i(U_i^m(θ)) at every grid point for m = 0..max_steps: array (max_steps + 1, n_tasks, *grid shape).

    Each task's grid is adapted one step further per m, so all pictures cost max_steps steps in total; entry m
    equals ``landscape.grid_meta_loss(loss, tasks, points, lr, m)``'s per-task values (the summed meta-loss
    Σ_i L_i(U_i^m(θ)) is the sum over axis 1).
    """
    paths = [landscape.grid_inner_path(loss, points, task.train, lr) for task in tasks]
    return onp.array([[loss(next(path), task.test) for path, task in zip(paths, tasks)]
                      for _ in range(max_steps + 1)])


def grid_argmin(points, values):
    """The grid point (a, b) where ``values`` is smallest."""
    i, j = onp.unravel_index(onp.argmin(values), values.shape)
    return points[:, i, j]


def _panels(ncols, titles):
    """A row of square [0, 1]² panels with a on x and b on y, fixed limits, few ticks (cheap to redraw)."""
    fig, axes = figure(ncols=ncols, width=3.3, height=3.4, layout="constrained")
    for k, (ax, title) in enumerate(zip(axes, titles)):
        ax.set(xlim=EXTENT[:2], ylim=EXTENT[2:], xlabel="a", ylabel="" if k else "b", title=title, aspect="equal",
               xticks=[0, 0.5, 1], yticks=[0, 0.5, 1])
        ax.tick_params(labelleft=k == 0)  # the panels share the b axis: label it once
        ax.grid(False)
    fig.colorbar(ScalarMappable(NORM, CMAP), ax=list(axes), shrink=0.8, label="loss", ticks=LEVELS[::3],
                 format="%.2g")
    return fig, axes


def _mark_true_lines(ax, which):
    for i in which:
        ax.plot(*TRUE_LINES[i], marker="o", ms=8, color=TASK_COLORS[i], mec="white", mew=1.5, ls="none",
                label=f"true (a, b) of task {i + 1}")


def build_meta_loss(steps=0, lr=0.01, n=60, max_steps=20):
    """The meta-loss landscape: Σ_i L_i(U_i^m(θ)) and each L_i(U_i^m(θ)) for m = 0..20 SGD steps (α = 0.01).

    All 21 sets of grids are computed and contoured here (hidden until shown), so moving the slider only swaps
    pictures.
    """
    tasks = [t.task for t in two_tasks()]
    points = landscape.grid(EXTENT, n)
    per_task = meta_loss_grids(softplus_line_loss, tasks, points, lr, max_steps)
    pictures = onp.concatenate([per_task.sum(axis=1, keepdims=True), per_task], axis=1)  # (m, panel, n, n)
    titles = (r"summed: $\Sigma_i\,L_i(U_i^m(\theta))$", r"task 1: $L_1(U_1^m(\theta))$",
              r"task 2: $L_2(U_2^m(\theta))$")
    fig, axes = _panels(3, titles)
    minima = []
    for k, ax in enumerate(axes):
        _mark_true_lines(ax, (0, 1) if k == 0 else (k - 1,))
        minima.append(ax.plot([], [], marker="*", ms=14, color="white", mec="black", ls="none",
                              label="grid minimum", zorder=5)[0])
    axes[0].legend(loc="upper left", fontsize=7, framealpha=0.8, frameon=True)
    # every picture contoured once, all hidden; draw() shows one per panel
    contours = [[ax.contourf(*points, pictures[m, k], levels=LEVELS, norm=NORM, cmap=CMAP, zorder=0, extend="max",
                             visible=False) for k, ax in enumerate(axes)] for m in range(max_steps + 1)]
    shown = list(contours[steps])  # the visible contour set of each panel

    def draw(steps):
        for k in range(len(axes)):
            shown[k].set_visible(False)
            shown[k] = contours[steps][k]
            shown[k].set_visible(True)
            minima[k].set_data(*grid_argmin(points, pictures[steps, k])[:, None])
        a, b = grid_argmin(points, pictures[steps, 0])
        what = "the joint-training loss L_1(θ) + L_2(θ)" if steps == 0 else "the summed meta-loss"
        return f"m = {steps}: {what} is smallest at (a, b) ≈ ({a:.2f}, {b:.2f}), value {pictures[steps, 0].min():.3f}"

    controls = {"steps": widgets.IntSlider(value=steps, min=0, max=max_steps, description="fine-tuning steps m",
                                           style={"description_width": "initial"})}
    demo = Demo(fig, draw, controls, title="Meta-loss landscape of two softplus tasks as fine-tuning steps grow")
    demo.points, demo.pictures, demo.shown, demo.minima = points, pictures, shown, minima  # for the tests
    return demo


def build_arrows(a=0.35, b=0.55, lr=0.04, n=60):
    """The two task landscapes L_i(θ) side by side, each with its one-step arrow θ → φ_i = θ − α ∇L_i(θ)."""
    lines = two_tasks()
    points = landscape.grid(EXTENT, n)
    per_task = [softplus_line_loss(points, line.data) for line in lines]
    fig, axes = _panels(2, (r"task 1: $L_1(\theta)$", r"task 2: $L_2(\theta)$"))
    arrows, thetas = [], []
    for i, (ax, values) in enumerate(zip(axes, per_task)):
        ax.contourf(*points, values, levels=LEVELS, norm=NORM, cmap=CMAP, zorder=0, extend="max")
        _mark_true_lines(ax, (i,))
        arrows.append(ax.quiver([0.0], [0.0], [0.0], [0.0], angles="xy", scale_units="xy", scale=1,
                                color=TASK_COLORS[i], width=0.015, zorder=4, label=f"φ_{i + 1} − θ",
                                animated=True))  # moved by the sliders: drawn over the cached contours
        thetas.append(ax.plot([], [], marker="o", ms=6, color="white", mec="black", ls="none", zorder=5,
                              label="θ", animated=True)[0])
        ax.legend(loc="upper right", fontsize=7, framealpha=0.8, frameon=True)

    def draw(a, b, lr):
        theta = onp.array([a, b])
        phis = [adapt(line.loss, theta, line.data, lr, 1) for line in lines]
        for quiver, phi in zip(arrows, phis):
            quiver.set_offsets(theta[None, :])
            quiver.set_UVC(*(phi - theta)[:, None])
        for marker in thetas:
            marker.set_data([a], [b])
        parts = [f"φ_{i + 1} = ({phi[0]:.3f}, {phi[1]:.3f}), L_{i + 1}: {line.loss(theta, line.data):.3f} → "
                 f"{line.loss(phi, line.data):.3f}" for i, (line, phi) in enumerate(zip(lines, phis))]
        meta = sum(line.loss(phi, line.data) for line, phi in zip(lines, phis))   # what MAML scores (m = 1)
        return f"θ = ({a:.2f}, {b:.2f}), α = {lr:.3f}: " + "; ".join(parts) + f"; L_1(φ_1) + L_2(φ_2) = {meta:.3f}"

    controls = {
        **theta_sliders(a, b, names=("a", "b")),
        "lr": widgets.FloatSlider(value=lr, min=0.01, max=0.05, step=0.005, description="inner lr α",
                                  readout_format=".3f", style=STYLE),
    }
    demo = Demo(fig, draw, controls, title="One fine-tuning step on each task: θ → φ_i = θ − α∇L_i(θ)")
    demo.arrows = arrows  # for the tests
    return demo


DEMOS = {"meta_loss_landscape": build_meta_loss, "two_task_arrows": build_arrows}
