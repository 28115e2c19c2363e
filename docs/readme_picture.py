"""The README's picture: five points of a new sinusoid, all on its left half, and what ten plain
gradient steps from the pretrained and from the MAML initialisation make of them.

    .venv/bin/python docs/readme_picture.py      # writes docs/maml.png
"""
import pathlib

import matplotlib.pyplot as plt
import numpy as np

from mamlkit import inner_path, plotting, tasks, zoo

AMPLITUDE, PHASE, STEPS, LR = 3.0, 1.0, 10, 0.01
x = np.linspace(-5, 5, 200)[:, None]
support_x = np.random.default_rng(3).uniform(-5, 0, size=(5, 1))
support = (support_x, tasks.Sinusoid.curve(support_x, AMPLITUDE, PHASE))
truth = tasks.Sinusoid.curve(x, AMPLITUDE, PHASE)

fig, axes = plotting.figure(2, 1, width=5.2, height=3.4, sharey=True)
for ax, name in zip(axes, ("pretrained", "maml")):
    model, theta, _ = zoo.load(name)
    before, *_, after = inner_path(model.loss, theta, support, LR, STEPS)
    ax.plot(x, truth, color=plotting.COLORS["task"], lw=2, alpha=0.6, label="true curve")
    ax.plot(x, model.apply(before, x), color=plotting.COLORS[name], ls="--", lw=1, label="before")
    ax.plot(x, model.apply(after, x), color=plotting.COLORS[name], lw=2.2, label=f"after {STEPS} steps")
    ax.plot(*support, "o", color=plotting.COLORS["task"], mec="black", label="the 5 points")
    error = float(np.mean((model.apply(after, x) - truth) ** 2))
    ax.set(title=f"{plotting.LABELS[name]}: MSE over [−5, 5] {error:.2f}", xlabel="x",
           ylim=(-5, 5), xlim=(-5, 5))
    ax.axvspan(0, 5, color="0.93", zorder=0)
axes[0].set_ylabel("y")
for ax in axes:
    ax.legend(loc="lower right", fontsize=8)
fig.suptitle("Five points on the left half of a new sinusoid (right half unseen), ten steps each")
fig.tight_layout()
fig.savefig(pathlib.Path(__file__).with_name("maml.png"), dpi=110)
plt.close(fig)
