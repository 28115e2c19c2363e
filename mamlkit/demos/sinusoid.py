"""The sinusoid fit: a pretrained and a MAML-trained network fine-tuned on K points of one sinusoid.

The task is y = A·sin(x − φ) (the article writes x + φ but computes x − φ; here both read x − φ). Each model
starts from its shipped parameters θ (``zoo.load``) and takes s plain SGD steps θ ← θ − α ∇L(θ; D_K) on the
mean squared error over the K support points, α = 0.01, the same K points at every step.
"""
import functools

import autograd
import ipywidgets as widgets
import numpy as onp

from .. import zoo
from ..plotting import COLORS, LABELS, figure
from ..tasks import Sinusoid
from .base import Demo

MODELS = ("pretrained", "maml")
LR, MAX_STEPS, MAX_K = 0.01, 10, 10
X_RANGE, Y_RANGE = (-5.0, 5.0), (-6.0, 6.0)
X_GRID = onp.linspace(*X_RANGE, 201)[:, None]  # where curves are drawn and the MSE over the whole range is taken


def support_x(sample_seed):
    """The MAX_K support inputs x ~ U[−5, 5] of one draw, shape (MAX_K, 1); a K-point task uses the first K,
    so adding a point keeps the others where they are."""
    return onp.random.default_rng(sample_seed).uniform(*X_RANGE, size=(MAX_K, 1))


def fine_tune_predictions(model, theta, x, y, lr=LR, steps=MAX_STEPS):
    """Predictions M(X_GRID; θ_s) for s = 0..steps, with θ_s = θ_{s−1} − α ∇ (1/K) Σ_j (M(x_j; θ_{s−1}) − y_j)².

    Returns an array of shape (steps + 1, len(X_GRID)).
    """
    grad = autograd.grad(model.loss)
    predictions = [model.apply(theta, X_GRID)[:, 0]]
    for _ in range(steps):
        theta = theta - lr * grad(theta, (x, y))
        predictions.append(model.apply(theta, X_GRID)[:, 0])
    return onp.array(predictions)


def build(amplitude=2.0, phase=onp.pi / 2, k=5, steps=1, seed=0):
    """The sinusoid_fit demo: sliders for A, φ, K and the number of steps, and a "new random samples" button.

    Each press of the button draws the next sample seed from a generator seeded with ``seed``, so the sequence
    of samples is the same every time the demo is built.
    """
    trained = {name: zoo.load(name) for name in MODELS}
    seeds = onp.random.default_rng(seed)
    state = {"sample_seed": int(seeds.integers(2**31))}

    @functools.lru_cache(maxsize=64)
    def paths(amplitude, phase, k, sample_seed):
        """{model name: predictions after 0..MAX_STEPS steps} for one task and one draw of K support points."""
        x = support_x(sample_seed)[:k]
        y = Sinusoid.curve(x, amplitude, phase)
        return {name: fine_tune_predictions(model, theta, x, y) for name, (model, theta, _) in trained.items()}

    fig, ax = figure(width=7.0, height=4.2)
    ax.set(xlim=X_RANGE, ylim=Y_RANGE, xlabel="x", ylabel="y")
    true_line, = ax.plot([], [], color=COLORS["task"], lw=2.5, alpha=0.5, label="true A·sin(x − φ)")
    lines = {}
    for name in MODELS:
        lines[name, "before"], = ax.plot([], [], color=COLORS[name], ls="--", lw=1.5, label=LABELS[name])
        lines[name, "after"], = ax.plot([], [], color=COLORS[name], ls="-", lw=2, label=LABELS[name])
    points = ax.scatter([], [], s=40, color=COLORS["task"], edgecolor="black", zorder=5, label="support points")
    legend_artists = [true_line, *lines.values(), points]  # the legend's order; its texts carry the MSEs
    legend = ax.legend(legend_artists, [a.get_label() for a in legend_artists], loc="upper left", fontsize=8,
                       ncol=2)
    ax.set_title(" ", fontsize=10)  # room for the title that draw() writes
    fig.tight_layout()
    # All that draw() changes is animated: redrawn over a cached picture of the axes (Demo.render_png).
    for artist in (true_line, *lines.values(), points, legend, ax.title):
        artist.set_animated(True)

    def draw(amplitude, phase, k, steps):
        truth = Sinusoid.curve(X_GRID[:, 0], amplitude, phase)
        true_line.set_data(X_GRID[:, 0], truth)
        x = support_x(state["sample_seed"])[:k, 0]
        points.set_offsets(onp.column_stack([x, Sinusoid.curve(x, amplitude, phase)]))
        report = []
        for name, predictions in paths(amplitude, phase, k, state["sample_seed"]).items():
            mse = {when: onp.mean((predictions[s] - truth) ** 2) for when, s in (("before", 0), ("after", steps))}
            for when in ("before", "after"):
                line = lines[name, when]
                line.set_data(X_GRID[:, 0], predictions[0 if when == "before" else steps])
                line.set_label(f"{LABELS[name]} {when} (MSE {mse[when]:.2f})")
            report.append(f"{LABELS[name]}: MSE {mse['before']:.2f} → {mse['after']:.2f}")
        for text, artist in zip(legend.get_texts(), legend_artists):
            text.set_text(artist.get_label())
        ax.set_title(f"A = {amplitude:.2f}, φ = {phase:.2f}: K = {k} points, {steps} step(s) of SGD (α = {LR})",
                     fontsize=10)
        return f"MSE over x ∈ [−5, 5] before → after {steps} step(s): " + "; ".join(report)

    def new_samples(demo):
        state["sample_seed"] = int(seeds.integers(2**31))
        demo.refresh()

    style = {"description_width": "initial"}
    controls = {
        "amplitude": widgets.FloatSlider(value=amplitude, min=0.1, max=5.0, step=0.1, description="amplitude A",
                                         continuous_update=False, style=style),
        "phase": widgets.FloatSlider(value=phase, min=0.0, max=onp.pi, step=0.01, description="phase φ",
                                     continuous_update=False, style=style),
        "k": widgets.IntSlider(value=k, min=1, max=MAX_K, description="support points K", continuous_update=False,
                               style=style),
        "steps": widgets.IntSlider(value=steps, min=0, max=MAX_STEPS, description="gradient steps", style=style),
    }
    demo = Demo(fig, draw, controls, buttons={"new random samples": new_samples},
                title="Fine-tuning a pretrained and a MAML model on K points (dashed: before, solid: after)")
    demo.state = state
    demo.artists = {"true": true_line, "samples": points, **lines}  # for the tests
    return demo


DEMOS = {"sinusoid_fit": build}
