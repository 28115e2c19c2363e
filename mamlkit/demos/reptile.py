"""Reptile on one softplus line fit L(θ; D) = ½ Σ_j (softplus(a·x_j + b) − y_j)²: k plain steps
φʲ = φʲ⁻¹ − α ∇L(φʲ⁻¹; D) from φ⁰ = θ on all the data, then θ + β(φᵏ − θ) = θ − β · reptile_grad."""
import numpy as np
from matplotlib.lines import Line2D

from .. import landscape
from ..inner import hessian, inner_path
from ..meta import reptile_grad
from ..plotting import COLORS, MARKERS, figure
from ..tasks import SoftplusLine
from .base import UNIT, Demo, arrow, marker, place, sliders
from .landscapes import LEVELS, contour_loss

TRUE_LINE = (0.5, 0.05)
MAX_STEPS = 5
LOSS_RANGE = (1e-4, 30.0)  # the loss panel's fixed log axis: every path from [0, 1]² stays below 15


def reptile_task(n=25, seed=0):
    """The article's Reptile task: 25 points of softplus(0.5·x + 0.05), x ~ U(−3, 3)."""
    return SoftplusLine(*TRUE_LINE, n=n, seed=seed)


def _axes(width=12.5, height=5.6):
    """(fig, landscape axes, loss axes): the [0, 1]² landscape beside the loss along the path."""
    fig, (ax, curve) = figure(2, width=width / 2, height=height,
                              gridspec_kw={"width_ratios": [1.0, 0.9]})
    ax.set(xlim=UNIT[:2], ylim=UNIT[2:], aspect="equal", xticks=[0, 0.5, 1], yticks=[0, 0.5, 1],
           xlabel="θ: a (slope)", ylabel="θ: b (offset)", title="the task's loss L(θ; D)")
    ax.grid(False)
    curve.set(xlim=(-0.3, MAX_STEPS + 0.3), ylim=LOSS_RANGE, yscale="log",
              xticks=range(MAX_STEPS + 1), xlabel="inner step j", ylabel="L(φʲ; D)",
              title="the loss along the inner path")
    fig.subplots_adjust(left=0.03, right=0.98, bottom=0.2, top=0.94, wspace=0.3)
    return fig, ax, curve


def reptile_interpolation(a=0.3, b=0.85, lr=0.015, steps=3, beta=0.5, n=60):
    """Contours of the task loss with Reptile's inner path θ → φ and the update θ → θ + β(φ − θ),
    and beside them the loss at each point of the path, at θ and at the new θ."""
    loss, data = SoftplusLine.loss, reptile_task().data
    points = landscape.grid(UNIT, n)
    fig, ax, curve = _axes()
    fig.colorbar(contour_loss(ax, points, loss(points, data)), ax=ax, shrink=0.8, pad=0.02,
                 label="L(θ; D)", ticks=LEVELS[::3], format="%.2g")
    ax.plot(*TRUE_LINE, marker="*", ms=13, color=COLORS["task"], mec="white", ls="none", zorder=3)
    green, step = COLORS["reptile"], MARKERS["reptile"]
    # Everything the sliders move is animated: drawn over a cached picture of the rest.
    path_line, = ax.plot([], [], "-", marker=step, color="white", mfc=green, mec="black", ms=6,
                         mew=0.8, lw=1.5, zorder=3, animated=True)
    full_line, = ax.plot([], [], ":", color="white", lw=1.2, zorder=2, animated=True)
    update = arrow(ax, green, width=0.014, zorder=4)
    theta_dot = marker(ax, ms=9, color="white", mec="black", zorder=5, clip_on=False)
    new_dot = marker(ax, ms=9, color=green, mec="black", zorder=5)
    path_loss, = curve.plot([], [], "-", marker=step, color=green, ms=6, lw=1.5, animated=True)
    theta_loss, = curve.plot([], [], "--", color="black", lw=1.0, animated=True)
    new_loss, = curve.plot([], [], "-", color=green, lw=2.5, alpha=0.6, animated=True)
    fig.legend(handles=[
        Line2D([], [], marker="*", ms=11, color=COLORS["task"], mec="white", ls="none",
               label="true (a, b)"),
        Line2D([], [], marker="o", ms=8, color="white", mec="black", ls="none", label="θ"),
        Line2D([], [], marker=step, mfc=green, mec="black", mew=0.8, color="grey",
               label="inner path φ⁰ = θ, …, φᵏ = φ"),
        Line2D([], [], color=green, lw=3, label="update β(φ − θ)"),
        Line2D([], [], marker="o", ms=8, color=green, mec="black", ls="none", label="new θ"),
        Line2D([], [], marker=step, color=green, label="L(φʲ; D), j = 0 … k"),
        Line2D([], [], ls="--", color="black", lw=1.0, label="L(θ; D)"),
        Line2D([], [], color=green, lw=2.5, alpha=0.6, label="L(new θ; D)"),
    ], loc="lower center", ncol=4, fontsize=9)

    def draw(theta_a, theta_b, lr, steps, beta):
        theta = np.array([theta_a, theta_b])
        path = np.array(inner_path(loss, theta, data, lr, steps))  # φ⁰ … φᵏ
        phi, new = path[-1], theta - beta * reptile_grad(loss, theta, data, lr, steps)
        path_line.set_data(path[:, 0], path[:, 1])
        full_line.set_data(*np.transpose([theta, phi]))
        place(update, theta, new - theta)
        theta_dot.set_data([theta_a], [theta_b])
        new_dot.set_data([new[0]], [new[1]])
        losses = [loss(point, data) for point in path]
        path_loss.set_data(np.arange(steps + 1), losses)
        theta_loss.set_data([0, MAX_STEPS], [losses[0]] * 2)
        new_loss.set_data([0, MAX_STEPS], [loss(new, data)] * 2)
        message = (f"φ = ({phi[0]:.3f}, {phi[1]:.3f}), new θ = θ + β(φ − θ) = ({new[0]:.3f}, "
                   f"{new[1]:.3f}); L(θ) = {losses[0]:.3f}, L(φ) = {losses[-1]:.3f}, "
                   f"L(new θ) = {loss(new, data):.3f}.")
        if steps == 1:
            message += (" With k = 1, φ − θ = −α∇L(θ): Reptile is plain gradient descent on the "
                        "task (joint training).")
        # On a quadratic a step multiplies the distance to the floor along the steepest direction
        # by 1 − α·λ_max(H): past the floor for α·λ_max > 1, farther away for α·λ_max > 2.
        sharpness = lr * np.linalg.eigvalsh(hessian(loss, theta, data))[-1]
        if sharpness > 2:
            message += (f" α·λ_max(H) = {sharpness:.2f} > 2 at θ: the first step overshoots the "
                        "valley floor. With this curvature everywhere (a quadratic) it would land "
                        "further from the floor than it started and the path would move away; "
                        "here the curvature changes as the path moves, so see whether L(φ) still "
                        "falls.")
        elif sharpness > 1:
            message += (f" α·λ_max(H) = {sharpness:.2f} > 1 at θ: the first step overshoots the "
                        "valley floor" + (". On a quadratic with this curvature the path would "
                                          "zigzag across the floor as it closes in."
                                          if steps > 1 else "."))
        inside = (path >= UNIT[::2]) & (path <= UNIT[1::2])
        return message + ("" if inside.all() else " Part of the path leaves the picture.")

    controls = sliders({"theta_a": ("θ: a", a, 0.0, 1.0, 0.01),
                        "theta_b": ("θ: b", b, 0.0, 1.0, 0.01),
                        "lr": ("α (inner rate)", lr, 0.01, 0.05, 0.001, {"readout_format": ".3f"}),
                        "steps": ("k (inner steps)", steps, 1, MAX_STEPS, 1),
                        "beta": ("β (interpolation)", beta, 0.2, 0.8, 0.05)})
    return Demo(fig, draw, controls, drag=("theta_a", "theta_b", [ax]),
                title="Reptile: k steps on the task, then move θ a fraction β towards φ")
