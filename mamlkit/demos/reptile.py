"""Reptile on one softplus line fit L(θ) = ½ Σ_j (softplus(a·x_j + b) − y_j)²: k plain steps
φⁱ = φⁱ⁻¹ − α ∇L(φⁱ⁻¹) from φ⁰ = θ on all the data, then θ + β(φᵏ − θ) = θ − β · reptile_grad."""
import numpy as np
from matplotlib.lines import Line2D

from .. import landscape
from ..inner import hessian, inner_path
from ..meta import reptile_grad
from ..plotting import COLORS
from ..tasks import SoftplusLine
from .base import UNIT, Demo, arrow, marker, panels, place, sliders
from .landscapes import contour_loss

TRUE_LINE = (0.5, 0.05)


def reptile_task(n=25, seed=0):
    """The article's Reptile task: 25 points of softplus(0.5·x + 0.05), x ~ U(−3, 3)."""
    return SoftplusLine(*TRUE_LINE, n=n, seed=seed)


def reptile_interpolation(a=0.3, b=0.85, lr=0.015, steps=3, beta=0.5, n=60):
    """Contours of the task loss with Reptile's inner path θ → φ and the update θ → θ + β(φ − θ)."""
    loss, data = SoftplusLine.loss, reptile_task().data
    points = landscape.grid(UNIT, n)
    fig, (ax,) = panels([""], xlabel="a (slope)", ylabel="b (offset)", width=4.8, height=5.0)
    contour_loss(ax, points, loss(points, data))
    ax.plot(*TRUE_LINE, marker="*", ms=13, color=COLORS["task"], mec="white", ls="none", zorder=3)
    green = COLORS["reptile"]
    # Everything the sliders move is animated: drawn over a cached picture of the contours.
    path_line, = ax.plot([], [], "-o", color="white", mfc=green, mec="white", ms=5, lw=1.5,
                         zorder=3, animated=True)
    full_line, = ax.plot([], [], ":", color="white", lw=1.2, zorder=2, animated=True)
    update = arrow(ax, green, width=0.014, zorder=4)
    theta_dot = marker(ax, ms=8, color="white", mec="black", zorder=5, clip_on=False)
    new_dot = marker(ax, ms=8, color=green, mec="black", zorder=5)
    ax.legend(handles=[
        Line2D([], [], marker="*", ms=10, color=COLORS["task"], ls="none", label="true (a, b)"),
        Line2D([], [], marker="o", color="white", mec="black", ls="none", label="θ"),
        Line2D([], [], marker="o", mfc=green, mec="white", color="grey",
               label="inner path θ → φ (k steps)"),
        Line2D([], [], color=green, lw=3, label="update β(φ − θ)"),
        Line2D([], [], marker="o", color=green, mec="black", ls="none", label="new θ"),
    ], loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8)
    fig.subplots_adjust(bottom=0.27, top=0.97)

    def draw(theta_a, theta_b, lr, steps, beta):
        theta = np.array([theta_a, theta_b])
        path = np.array(inner_path(loss, theta, data, lr, steps))  # φ⁰ … φᵏ
        phi, new = path[-1], theta - beta * reptile_grad(loss, theta, data, lr, steps)
        path_line.set_data(path[:, 0], path[:, 1])
        full_line.set_data(*np.transpose([theta, phi]))
        place(update, theta, new - theta)
        theta_dot.set_data([theta_a], [theta_b])
        new_dot.set_data([new[0]], [new[1]])
        message = (f"φ = ({phi[0]:.3f}, {phi[1]:.3f}), new θ = θ + β(φ − θ) = ({new[0]:.3f}, "
                   f"{new[1]:.3f}); L(θ) = {loss(theta, data):.3f}, L(φ) = {loss(phi, data):.3f}, "
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
                        "lr": ("inner lr α", lr, 0.01, 0.05, 0.001, {"readout_format": ".3f"}),
                        "steps": ("inner steps k", steps, 1, 5, 1),
                        "beta": ("interpolation β", beta, 0.2, 0.8, 0.05)})
    return Demo(fig, draw, controls,
                title="Reptile: k steps on the task, then move θ a fraction β towards φ")
