"""Two softplus line fits L_i(θ) = ½ Σ_j (softplus(a·x_j + b) − y_j)² over θ = (a, b) ∈ [0, 1]²:
the meta-loss Σ_i L_i(U_i^k(θ)) after k steps U_i(θ) = θ − α ∇L_i(θ), and the inner paths
θ → U_i^k(θ)."""
import autograd
import numpy as np
from matplotlib import patheffects
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm
from matplotlib.lines import Line2D

from .. import landscape
from ..inner import inner_loop, inner_path
from ..tasks import SoftplusLine, softplus_line_loss
from .base import UNIT, Demo, arrow, marker, pair, panels, place, sliders

TRUE_LINES = ((0.3, 0.05), (0.83, 0.75))
TASK_COLORS = ("#56B4E9", "#D55E00")  # sky blue, vermillion: the two tasks (Okabe–Ito)
# Fixed, roughly geometric levels shared by every picture: a colour is the same loss for every k.
LEVELS = np.concatenate([[0.0], np.geomspace(0.01, 16.0, 17)])
CMAP = "viridis"


def norm():
    """The colour scale of those levels, new for each artist: a shared norm would tell every
    colour bar it ever served (of figures long gone, which widgets keep alive) when it changes."""
    return BoundaryNorm(LEVELS, 256)


def two_tasks():
    """The article's two softplus tasks, each with its own 10 points (seeds 0 and 1)."""
    return [SoftplusLine(a, b, seed=seed) for seed, (a, b) in enumerate(TRUE_LINES)]


def meta_loss_grids(loss, tasks, points, lr, max_steps, lam=0.0):
    """L_i(φ_i^k) at every grid point θ for k = 0..max_steps, shape (max_steps + 1, T, *grid):
    one inner loop per task (plain, or proximal with λ), its iterates shared by every k."""
    paths = [inner_loop(loss, points, task.train, lr, max_steps, lam, path=True) for task in tasks]
    return np.array([[loss(phis[k], task.test) for phis, task in zip(paths, tasks)]
                     for k in range(max_steps + 1)])


def grid_argmin(points, values):
    """The grid point (a, b) where ``values`` is smallest."""
    i, j = np.unravel_index(np.argmin(values), values.shape)
    return points[:, i, j]


def contour_loss(ax, points, values, **options):
    """Filled contours of a loss on the fixed levels (0 to 16) of every softplus landscape."""
    return ax.contourf(*points, values, levels=LEVELS, norm=norm(), cmap=CMAP, zorder=0,
                       extend="max", **options)


def on_edge(points, values):
    """Whether the grid minimum of ``values`` lies on the edge of the grid (the true minimum may
    then lie outside it)."""
    i, j = np.unravel_index(np.argmin(values), values.shape)
    return i in (0, values.shape[0] - 1) or j in (0, values.shape[1] - 1)


def _panels(titles, tasks, width=4.1, height=4.3):
    """[0, 1]² panels sharing the b axis and a colour bar, marking the true (a, b) of tasks[k].
    Tick labels 0, 0.5, 1 with room between panels (so that "1" and "0" of neighbours never meet);
    the legend goes below the panels, where it covers nothing."""
    fig, axes = panels(titles, xlabel="a", ylabel="b", width=width, height=height,
                       layout="constrained")
    fig.get_layout_engine().set(w_pad=0.1, wspace=0.06)
    for k, (ax, which) in enumerate(zip(axes, tasks)):
        ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
        ax.set_yticks([0, 0.5, 1], ["0", "0.5", "1"])
        ax.tick_params(labelleft=k == 0)
        for i in which:
            ax.plot(*TRUE_LINES[i], marker="o", ms=8, color=TASK_COLORS[i], mec="white", mew=1.5,
                    ls="none", label=f"true (a, b) of task {i + 1}")
    fig.colorbar(ScalarMappable(norm(), CMAP), ax=axes, shrink=0.9, aspect=25, label="loss",
                 ticks=LEVELS[::3], format="%.2g")
    return fig, axes


def _legend_below(fig, handles, ncol=4):
    """One legend for the whole figure, under the panels."""
    fig.legend(handles=handles, loc="outside lower center", ncol=ncol, fontsize=9, frameon=False)


def _true_handles(tasks=(0, 1)):
    return [Line2D([], [], marker="o", ms=8, color=TASK_COLORS[i], mec="white", mew=1.5, ls="none",
                   label=f"true (a, b) of task {i + 1}") for i in tasks]


STAR = {"ms": 15, "color": "white", "mec": "black",  # not clipped: whole also on the grid's edge
        "clip_on": False, "in_layout": False}
PATH = {"color": "white", "lw": 1.8,  # a white line with a dark edge: seen on dark and light bands
        "path_effects": [patheffects.withStroke(linewidth=3.2, foreground="black")]}


def meta_loss_figure(points, summed, steps=(0, 1, 5, 20), path=None, path_steps=1):
    """A static row of the summed meta-loss Σ_i L_i(U_i^k(θ)) for a few k (``summed[k]`` on the
    grid ``points``), the true (a, b) of both tasks, each grid minimum (a star) and, on the panel
    k = ``path_steps``, an outer-loop ``path`` of θ's; about 12.5 inches wide, with a colour bar."""
    fig, axes = _panels([f"k = {k}" for k in steps], [(0, 1)] * len(steps), width=3.1, height=3.4)
    for ax, k in zip(axes, steps):
        contour_loss(ax, points, summed[k])
        ax.plot(*grid_argmin(points, summed[k]), "*", ls="none", zorder=5, **STAR)
        if path is not None and k == path_steps:
            ax.plot(*np.asarray(path).T, zorder=4, **PATH)
    fig.axes[-1].set_ylabel(r"summed meta-loss $\Sigma_i\,L_i(U_i^k(\theta))$")
    handles = _true_handles() + [Line2D([], [], marker="*", ls="none", label="grid minimum",
                                        **STAR)]
    if path is not None:
        handles.append(Line2D([], [], label=f"outer-loop path (k = {path_steps})", **PATH))
    _legend_below(fig, handles)
    return fig


THETA = {"ms": 7, "color": "white", "mec": "black", "zorder": 6,  # θ, drawn whole on the edge
         "clip_on": False, "in_layout": False}


def theta_sliders(a, b):
    """The θ = (a, b) sliders of the [0, 1]² landscapes."""
    return sliders({"a": ("θ: a", a, 0.0, 1.0, 0.01), "b": ("θ: b", b, 0.0, 1.0, 0.01)})


def meta_loss_landscape(steps=0, a=0.35, b=0.55, lr=0.01, n=60, max_steps=20):
    """Σ_i L_i(U_i^k(θ)) and each L_i(U_i^k(θ)) for k = 0..20 steps (α = 0.01), every picture
    contoured when built so that the slider only swaps them; θ (dragged or set) marked, its values
    read out."""
    tasks = [t.task for t in two_tasks()]
    points = landscape.grid(UNIT, n)
    per_task = meta_loss_grids(softplus_line_loss, tasks, points, lr, max_steps)
    pictures = np.concatenate([per_task.sum(axis=1, keepdims=True), per_task], axis=1)
    fig, axes = _panels((r"summed: $\Sigma_i\,L_i(U_i^k(\theta))$", r"task 1: $L_1(U_1^k(\theta))$",
                         r"task 2: $L_2(U_2^k(\theta))$"), ((0, 1), (0,), (1,)))
    minima = [marker(ax, "*", zorder=5, label="grid minimum", **STAR) for ax in axes]
    thetas = [marker(ax, **THETA) for ax in axes]
    star = Line2D([], [], marker="*", ls="none", label="grid minimum", **STAR)
    dot = Line2D([], [], marker="o", ls="none", label="θ (drag it)", **THETA)
    _legend_below(fig, _true_handles() + [star, dot], ncol=4)
    contours = [(k, contour_loss(ax, points, pictures[k, j], visible=False))
                for k in range(max_steps + 1) for j, ax in enumerate(axes)]

    def draw(steps, a, b):
        for k, contour in contours:  # show the pictures of k = steps only
            contour.set_visible(k == steps)
        for j, (minimum, theta) in enumerate(zip(minima, thetas)):
            minimum.set_data(*grid_argmin(points, pictures[steps, j])[:, None])
            theta.set_data([a], [b])
        low_a, low_b = grid_argmin(points, pictures[steps, 0])
        what = "the joint-training loss L_1(θ) + L_2(θ)" if steps == 0 else "the summed meta-loss"
        edge = (" (on the edge of the grid: the lowest value may lie beyond it)"
                if on_edge(points, pictures[steps, 0]) else "")
        total, (first, second) = landscape.grid_meta_loss(
            softplus_line_loss, tasks, np.reshape([a, b], (2, 1, 1)), lr, steps)
        return (f"k = {steps}: {what} is smallest at (a, b) ≈ ({low_a:.2f}, {low_b:.2f}){edge}, "
                f"value {pictures[steps, 0].min():.3f}. At θ = ({a:.2f}, {b:.2f}): "
                f"{total.item():.3f} = {first.item():.3f} + {second.item():.3f} (task 1 + task 2).")

    controls = sliders({"steps": ("k", steps, 0, max_steps, 1)}) | theta_sliders(a, b)
    return Demo(fig, draw, controls, drag=("a", "b", axes),
                title="Meta-loss landscape of two softplus tasks as the inner steps k grow")


def two_task_paths(theta, lines, lr, steps):
    """Per task i: (∇L_i(θ), the inner path [φ⁰ = θ, …, φᵏ = φ_i] of k steps on task i alone)."""
    return [(autograd.grad(line.loss)(theta, line.data), inner_path(line.loss, theta, line.data,
                                                                      lr, steps))
            for line in lines]


def two_task_arrows(a=0.35, b=0.55, lr=0.04, steps=1, n=60, max_steps=5):
    """The two task landscapes L_i(θ) side by side, each with its own gradient step −α∇L_i(θ)
    from θ, the rest of its k-step inner path and its adapted point φ_i."""
    lines = two_tasks()
    points = landscape.grid(UNIT, n)
    fig, axes = _panels((r"task 1: $L_1(\theta)$", r"task 2: $L_2(\theta)$"), ((0,), (1,)),
                        width=5.6, height=5.8)
    drawn = []  # per task: the gradient step, the inner path, φ_i, θ
    for i, (ax, line) in enumerate(zip(axes, lines)):
        contour_loss(ax, points, softplus_line_loss(points, line.data))
        drawn.append((arrow(ax, TASK_COLORS[i], width=0.015, zorder=4),
                      ax.plot([], [], ".-", ms=7, animated=True, zorder=3, **PATH)[0],
                      marker(ax, "D", ms=8, color=TASK_COLORS[i], mec="white", zorder=5),
                      marker(ax, **THETA)))
    handles = _true_handles() + [
        Line2D([], [], color=TASK_COLORS[i], lw=2.5, marker=">", markevery=[-1], ms=7,
               label=rf"first step $-\alpha\nabla L_{i + 1}(\theta)$") for i in (0, 1)]
    handles += [Line2D([], [], marker=".", ms=7, label="the other inner steps", **PATH),
                Line2D([], [], marker="D", ms=8, color="grey", mec="white", ls="none",
                       label=r"adapted $\varphi_i$"),
                Line2D([], [], marker="o", ls="none", label="θ (drag it)", **THETA)]
    _legend_below(fig, handles, ncol=4)

    def draw(a, b, lr, steps):
        theta = np.array([a, b])
        found = two_task_paths(theta, lines, lr, steps)
        parts, meta = [], 0.0  # the message per task; L_1(φ_1) + L_2(φ_2), what MAML scores
        for i, ((grad, path), line, (step, inner, adapted, dot)) in enumerate(
                zip(found, lines, drawn)):
            path = np.array(path)
            place(step, theta, -lr * grad)
            inner.set_data(*path[1:].T)
            adapted.set_data(*path[-1:].T)
            dot.set_data([a], [b])
            before, after = line.loss(theta, line.data), line.loss(path[-1], line.data)
            meta += after
            parts.append(f"task {i + 1}: ∇L_{i + 1}(θ) = {pair(grad)}, "
                         f"φ_{i + 1} = {pair(path[-1])}, L_{i + 1}: {before:.3f} → {after:.3f}")
        return (f"θ = ({a:.2f}, {b:.2f}), α = {lr:.3f}, k = {steps}: " + "; ".join(parts)
                + f"; L_1(φ_1) + L_2(φ_2) = {meta:.3f}")

    controls = theta_sliders(a, b) | sliders({
        "lr": ("α", lr, 0.01, 0.05, 0.005, {"readout_format": ".3f"}),
        "steps": ("k (inner steps)", steps, 1, max_steps, 1)})
    return Demo(fig, draw, controls, drag=("a", "b", axes),
                title="Fine-tuning on each task: k steps θ → φ_i, the first along −α∇L_i(θ)")
