"""The sinusoid fit: a pretrained and a MAML-trained network fine-tuned on K points of one sinusoid
y = A·sin(x − φ), each from its shipped θ by s plain steps θ ← θ − α ∇L(θ; D_K), α = 0.01."""
import functools

import numpy as np

from .. import zoo
from ..inner import inner_loop
from ..plotting import COLORS, LABELS, figure
from ..tasks import Sinusoid
from .base import Demo, sliders

MODELS = ("pretrained", "maml")
LR, MAX_STEPS, MAX_K = 0.01, 10, 10
X_RANGE, Y_RANGE = (-5.0, 5.0), (-6.0, 6.0)
X_GRID = np.linspace(*X_RANGE, 201)[:, None]  # where curves are drawn and the MSE is taken


def sinusoid_fit(amplitude=2.0, phase=np.pi / 2, k=5, steps=1, seed=0):
    """Sliders for A, φ, K and the number of steps, and a "new random samples" button whose draws
    follow a generator seeded with ``seed`` (the same sequence every time the demo is built)."""
    trained = {name: zoo.load(name) for name in MODELS}
    seeds = np.random.default_rng(seed)
    state = {"sample_seed": int(seeds.integers(2**31))}

    @functools.lru_cache(maxsize=64)
    def fits(amplitude, phase, k, sample_seed):
        """(the first k of MAX_K inputs x ~ U[−5, 5], so that adding a point keeps the others,
        {model: its curves M(X_GRID; φˢ) after s = 0..MAX_STEPS steps})."""
        x = np.random.default_rng(sample_seed).uniform(*X_RANGE, size=(MAX_K, 1))[:k]
        data = (x, Sinusoid.curve(x, amplitude, phase))
        curves = {}
        for name, (model, theta, _) in trained.items():
            path = inner_loop(model.loss, theta, data, LR, MAX_STEPS, path=True)
            curves[name] = np.array([model.apply(phi, X_GRID)[:, 0] for phi in path])
        return x[:, 0], curves

    fig, ax = figure(width=7.0, height=4.2)
    ax.set(xlim=X_RANGE, ylim=Y_RANGE, xlabel="x", ylabel="y")
    true_line, = ax.plot([], [], color=COLORS["task"], lw=2.5, alpha=0.5, label="true A·sin(x − φ)")
    lines = {(name, when): ax.plot([], [], color=COLORS[name], ls=ls, lw=lw, label=LABELS[name])[0]
             for name in MODELS for when, ls, lw in (("before", "--", 1.5), ("after", "-", 2))}
    points = ax.scatter([], [], s=40, color=COLORS["task"], edgecolor="black", zorder=5,
                        label="support points")
    shown = [true_line, *lines.values(), points]  # the legend's order
    legend = ax.legend(shown, [a.get_label() for a in shown], loc="upper left", fontsize=8, ncol=2)
    texts = dict(zip(lines, legend.get_texts()[1:]))  # a model line's entry, which shows its MSE
    ax.set_title(" ", fontsize=10)  # room for the title that draw() writes
    fig.tight_layout()
    for artist in (*shown, legend, ax.title):  # what draw() changes, drawn over a cached picture
        artist.set_animated(True)

    def draw(amplitude, phase, k, steps):
        x, curves = fits(amplitude, phase, k, state["sample_seed"])
        truth = Sinusoid.curve(X_GRID[:, 0], amplitude, phase)
        true_line.set_data(X_GRID[:, 0], truth)
        points.set_offsets(np.column_stack([x, Sinusoid.curve(x, amplitude, phase)]))
        report = []
        for name, predictions in curves.items():
            mse = {}
            for when, s in (("before", 0), ("after", steps)):
                mse[when] = np.mean((predictions[s] - truth) ** 2)
                lines[name, when].set_data(X_GRID[:, 0], predictions[s])
                texts[name, when].set_text(f"{LABELS[name]} {when} (MSE {mse[when]:.2f})")
            report.append(f"{LABELS[name]}: MSE {mse['before']:.2f} → {mse['after']:.2f}")
        ax.set_title(f"A = {amplitude:.2f}, φ = {phase:.2f}: K = {k} points, {steps} step(s) of "
                     f"SGD (α = {LR})", fontsize=10)
        return f"MSE over x ∈ [−5, 5] before → after {steps} step(s): " + "; ".join(report)

    def new_samples(demo):
        state["sample_seed"] = int(seeds.integers(2**31))
        demo.refresh()

    late = {"continuous_update": False}
    controls = sliders({"amplitude": ("amplitude A", amplitude, 0.1, 5.0, 0.1, late),
                        "phase": ("phase φ", phase, 0.0, np.pi, 0.01, late),
                        "k": ("support points K", k, 1, MAX_K, 1, late),
                        "steps": ("gradient steps", steps, 0, MAX_STEPS, 1)})
    return Demo(fig, draw, controls, buttons={"new random samples": new_samples},
                title="Fine-tuning a pretrained and a MAML model on K points "
                      "(dashed: before, solid: after)")
