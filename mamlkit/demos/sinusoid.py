"""Lesson 00's figures and its demo: sinusoid tasks y = A·sin(x − ψ), and a pretrained and a
MAML-trained network fine-tuned on a few support points D (random, or placed by the learner), each
from its shipped θ by plain steps φ ← φ − α ∇L(φ; D), α = 0.01."""
import functools

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from .. import zoo
from ..inner import inner_loop
from ..plotting import COLORS, LABELS, MARKERS, STYLES, figure
from ..tasks import Sinusoid
from .base import Demo, sliders

MODELS = ("pretrained", "maml")
LR, MAX_STEPS, MAX_K = 0.01, 10, 10  # MAX_K: the most support points, random or placed
PICK = 8  # points (1/72 inch): a click this near a support point removes it
X_RANGE, Y_RANGE = (-5.0, 5.0), (-6.0, 6.0)
X_GRID = np.linspace(*X_RANGE, 201)[:, None]  # where curves are drawn and the MSE is taken
WIDTH = 12.4  # inches: a full-width figure at the course's dpi


def _sine_axes(ax, title, ylabel="y"):
    ax.set(title=title, xlim=X_RANGE, ylim=Y_RANGE, xlabel="x", ylabel=ylabel)


def tasks_picture(family, seed=0, n_tasks=6, new_task=(3.5, 2.0), k=5):
    """Meta-training (``n_tasks`` random tasks, 10 points each) beside meta-testing (a new task
    ``new_task`` = (A, ψ) of which only k points are seen)."""
    rng = np.random.default_rng(seed)
    fig, (left, right) = figure(ncols=2, width=WIDTH / 2, height=3.6)
    for color in plt.cm.viridis(np.linspace(0.0, 0.85, n_tasks)):
        amplitude, phase = family.sample_params(rng)
        left.plot(X_GRID[:, 0], family.curve(X_GRID[:, 0], amplitude, phase), lw=1, color=color)
        left.plot(*family.sample_points(rng, amplitude, phase, 10), "o", ms=4, color=color)
    _sine_axes(left, "meta-training: many tasks, 10 points each")
    x, y = family.sample_points(np.random.default_rng(seed + 1), *new_task, k)
    right.plot(X_GRID[:, 0], family.curve(X_GRID[:, 0], *new_task), ls=":", color=COLORS["task"],
               label="hidden true curve")
    right.plot(x[:, 0], y[:, 0], "o", ms=7, color=COLORS["task"], mec="black",
               label=f"K = {k} support points")
    right.text(0, 4.8, "the rest of the curve?", ha="center", fontsize=11)
    _sine_axes(right, f"meta-test: a new task, only {k} points", ylabel="")
    right.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    return fig


def networks_picture(x, mean_curve, predictions, task_curves=()):
    """The networks' curves ``predictions`` {method: y} before adapting, over the mean curve ȳ(x)
    and a few tasks' curves (faint)."""
    fig, ax = figure(width=WIDTH, height=3.6)
    for curve in task_curves:
        ax.plot(x, curve, lw=0.8, alpha=0.35, color=COLORS["task"])
    ax.plot(x, mean_curve, color="black", lw=5, alpha=0.25,
            label="mean curve ȳ(x) = −1.62 cos x")
    for name, y in predictions.items():
        ax.plot(x, y, color=COLORS[name], ls=STYLES[name], lw=2.2,
                label=f"{LABELS[name]} network, before adapting")
    _sine_axes(ax, "the shipped networks before adapting, and the curves of a few tasks")
    ax.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    return fig


def fine_tuning_picture(x, truth, support, fits):
    """One panel per method: ``fits`` {method: {steps: (prediction on x, MSE)}}, fainter for fewer
    steps, over the true curve and the support points."""
    fig, axes = figure(ncols=len(fits), width=WIDTH / len(fits), height=3.8)
    for ax, (name, by_steps) in zip(np.atleast_1d(axes), fits.items()):
        ax.plot(x, truth, color=COLORS["task"], lw=3, alpha=0.4, label="true curve")
        ax.plot(*support, "o", color=COLORS["task"], mec="black", zorder=5)
        for shade, (steps, (y, mse)) in zip(np.linspace(0.3, 1.0, len(by_steps)),
                                            by_steps.items()):
            ax.plot(x, y, color=COLORS[name], ls=STYLES[name], lw=2, alpha=shade,
                    label=f"{steps} step{'s' * (steps != 1)} (MSE {mse:.2f})")
        _sine_axes(ax, f"{LABELS[name]}, fine-tuned on {len(support[0])} points",
                   ylabel="y" if ax is np.atleast_1d(axes)[0] else "")
        ax.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    return fig


def adaptation_picture(curves, reference=None):
    """The median task's query MSE after 0..s steps per method, with the band between the first and
    third quartiles of the tasks; ``reference`` (label, value): a level drawn for comparison."""
    fig, ax = figure(width=WIDTH, height=3.4)
    n_tasks, n_steps = next(iter(curves.values())).shape
    steps = np.arange(n_steps)
    for name, curve in curves.items():
        low, median, high = np.quantile(curve, [0.25, 0.5, 0.75], axis=0)
        ax.fill_between(steps, low, high, color=COLORS[name], alpha=0.15, lw=0)
        ax.plot(steps, median, color=COLORS[name], ls=STYLES[name], marker=MARKERS[name], lw=2,
                label=f"{LABELS[name]}: median task (band: middle half of the tasks)")
    if reference is not None:
        ax.axhline(reference[1], color="black", lw=1, ls="--", label=reference[0])
    ax.set(xlabel="fine-tuning steps on the K = 5 support points", ylabel="query MSE",
           xticks=steps, ylim=(0, None), title=f"{n_tasks} held-out tasks")
    ax.legend(loc="upper right", fontsize=9)
    fig.tight_layout()
    return fig


def sinusoid_fit(amplitude=2.0, phase=np.pi / 2, k=5, steps=1, seed=0):
    """Sliders for A, ψ, K and the number of steps, the figure as a place to put support points,
    and "random points" and "clear" buttons. Methods differ by colour and line style; faint lines
    are before fine-tuning, bold after, on exactly the support points shown.

    "random points" draws 10 inputs x ~ U[−5, 5] from a generator seeded with ``seed`` (the same
    sequence every time the demo is built) and shows the first K, on the true curve: A and ψ move
    them along it, K sets how many. A click in the plot makes the points the learner's: it adds a
    point at (x, y) (at most 10; clamped into the axes), or removes the one within PICK points of
    it. The learner's points stay where they were put: A and ψ then set only the true curve the
    MSE is measured against, and K (disabled) counts only for the next random points."""
    trained = {name: zoo.load(name) for name in MODELS}
    seeds = np.random.default_rng(seed)
    state = {"sample_seed": int(seeds.integers(2**31)), "placed": None}
    clicks = []  # (pixel x, pixel y, x, y) of the clicks not yet taken in

    @functools.lru_cache(maxsize=64)
    def fits(flat):
        """{model: its curves M(X_GRID; φˢ) after s = 0..MAX_STEPS steps on the points
        ``flat`` = (x₁, y₁, x₂, y₂, …); φˢ = θ without points}."""
        x, y = np.reshape(flat, (-1, 2)).T[:, :, None]
        curves = {}
        for name, (model, theta, _) in trained.items():
            path = (inner_loop(model.loss, theta, (x, y), LR, MAX_STEPS, path=True) if x.size
                    else [theta] * (MAX_STEPS + 1))
            curves[name] = np.array([model.apply(phi, X_GRID)[:, 0] for phi in path])
        return curves

    def support(amplitude, phase, k):
        """The points shown, (n, 2): the learner's, or the first k random ones on the curve."""
        if state["placed"] is not None:
            return np.reshape(state["placed"], (-1, 2))
        x = np.random.default_rng(state["sample_seed"]).uniform(*X_RANGE, size=MAX_K)[:k]
        return np.column_stack([x, Sinusoid.curve(x, amplitude, phase)])

    def take_clicks(points):
        """The learner's points after the pending clicks, and a note if one was refused."""
        points, note = [tuple(p) for p in points], ""
        while clicks:
            px, py, x, y = clicks.pop(0)
            gaps = np.hypot(*(ax.transData.transform(np.reshape(points, (-1, 2))) - (px, py)).T)
            if gaps.size and gaps.min() <= PICK * fig.dpi / 72:
                points.pop(int(np.argmin(gaps)))
            elif len(points) >= MAX_K:
                note = f"At most {MAX_K} points: click on one to remove it, or press clear. "
            else:
                points.append((float(np.clip(x, *X_RANGE)), float(np.clip(y, *Y_RANGE))))
        return points, note

    fig, ax = figure(width=10.2, height=4.4)  # 816 px: a JupyterLab cell beside its file browser
    ax.set(xlim=X_RANGE, ylim=Y_RANGE, xlabel="x", ylabel="y")
    true_line, = ax.plot([], [], color=COLORS["task"], lw=2.5, alpha=0.5,
                         label="true A·sin(x − ψ)")
    lines = {(name, when): ax.plot([], [], color=COLORS[name], ls=STYLES[name], lw=lw, alpha=alpha,
                                   label=f"{LABELS[name]} {when}")[0]
             for name in MODELS for when, lw, alpha in (("before", 1.5, 0.55), ("after", 2.4, 1.0))}
    points = ax.scatter([], [], s=40, color=COLORS["task"], edgecolor="black", zorder=5,
                        label="support points")
    ax.legend(handles=[true_line, *lines.values(), points], loc="upper left", fontsize=9,
              bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    errors = ax.text(1.01, 0.5, "", transform=ax.transAxes, fontsize=9, va="top")
    ax.text(1.01, 0.0, f"click: add a point (up to {MAX_K})\nclick a point: remove it",
            transform=ax.transAxes, fontsize=9, va="bottom", color="0.35")
    ax.set_title(" ", fontsize=11)  # room for the title that draw() writes
    fig.tight_layout()
    for artist in (true_line, *lines.values(), points, errors, ax.title):  # what draw() changes,
        artist.set_animated(True)  # drawn over a cached picture of the rest

    def draw(amplitude, phase, k, steps):
        state["placed"], note = (take_clicks(support(amplitude, phase, k)) if clicks
                                 else (state["placed"], ""))
        xy = support(amplitude, phase, k)
        curves = fits(tuple(xy.ravel()))
        placed, n = state["placed"] is not None, len(xy)
        controls["k"].disabled = placed
        truth = Sinusoid.curve(X_GRID[:, 0], amplitude, phase)
        true_line.set_data(X_GRID[:, 0], truth)
        points.set_offsets(xy)
        report = []
        for name, predictions in curves.items():
            for when, s in (("before", 0), ("after", steps)):
                lines[name, when].set_data(X_GRID[:, 0], predictions[s])
            before, after = np.mean((predictions[[0, steps]] - truth) ** 2, axis=1)
            report.append(f"{LABELS[name]} {before:.2f} → {after:.2f}")
        errors.set_text("MSE over x ∈ [−5, 5],\nbefore → after:\n" + "\n".join(report))
        whose = f"your {n} point{'s' * (n != 1)}" if placed else f"K = {k} random points"
        ax.title.set_text(f"A = {amplitude:.2f}, ψ = {phase:.2f}: {whose}, {steps} step(s) of "
                          f"SGD (α = {LR})")  # not set_title, which changes unanimated artists
        if not n:
            return note + (f"No support points: click in the plot to place up to {MAX_K}, or "
                           "press random points.")
        against = (f" against the true curve of A = {amplitude:.2f}, ψ = {phase:.2f} (your "
                   "points stay put; K counts only for random points)" if placed else "")
        return (f"{note}MSE{against} over x ∈ [−5, 5] before → after {steps} step(s): "
                + "; ".join(report))

    def press(event):
        if event.inaxes is not ax or event.dblclick:  # outside the plot, on the legend beside
            return False  # it, or a double click's third event (its two clicks came before)
        clicks.append((event.x, event.y, event.xdata, event.ydata))
        return True  # the next draw takes it in (Demo draws again after a running draw)

    def random_points(demo):
        state["sample_seed"], state["placed"] = int(seeds.integers(2**31)), None
        demo.refresh()

    def clear(demo):
        state["placed"] = []
        demo.refresh()

    late = {"continuous_update": False}
    controls = sliders({"amplitude": ("amplitude A", amplitude, 0.1, 5.0, 0.1, late),
                        "phase": ("phase ψ", phase, 0.0, np.pi, 0.01, late),
                        "k": ("support points K", k, 1, MAX_K, 1, late),
                        "steps": ("gradient steps", steps, 0, MAX_STEPS, 1)})
    demo = Demo(fig, draw, controls, buttons={"random points": random_points, "clear": clear},
                title="Fine-tuning a pretrained and a MAML network on the support points: click "
                      "to add or remove one (faint: before, bold: after)", clickable=[ax])
    demo.on("button_press_event", press)
    for button in demo.buttons.values():  # the whole label, never "random poi…"
        button.layout = widgets.Layout(width="auto")
    return demo
