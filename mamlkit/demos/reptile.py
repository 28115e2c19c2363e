"""Reptile on one softplus line-fit task: the inner path θ → φ and the interpolation θ ← θ + β(φ − θ).

The task fits g(x) = softplus(a·x + b) to 25 points of the line with true (a, b) = (0.5, 0.05), with the loss
L(θ) = ½ Σ_j (g(x_j) − y_j)² over θ = (a, b). Reptile takes k plain gradient steps on all of the task's data,

    φ⁰ = θ,  φⁱ = φⁱ⁻¹ − α ∇L(φⁱ⁻¹),  φ = φᵏ,

and then moves θ only part of the way: θ_new = θ + β(φ − θ) = θ − β · reptile_grad (with reptile_grad = θ − φ).
"""
import ipywidgets as widgets
import numpy as onp
from matplotlib.lines import Line2D

from .. import landscape
from ..inner import hessian, inner_path
from ..meta import reptile_grad
from ..plotting import COLORS, figure
from ..tasks import SoftplusLine
from .base import STYLE, Demo, theta_sliders
from .landscapes import CMAP, LEVELS, NORM  # the course's softplus-landscape colours (loss 0 to 16)

TRUE_LINE = (0.5, 0.05)
EXTENT = (0.0, 1.0, 0.0, 1.0)


def reptile_task(n=25, seed=0):
    """The article's Reptile task: 25 points of softplus(0.5·x + 0.05), x ~ U(−3, 3)."""
    return SoftplusLine(*TRUE_LINE, n=n, seed=seed)


def reptile_step(loss, theta, data, lr, steps, beta):
    """(inner path [φ⁰ … φᵏ] as a (k+1, 2) array, new θ = θ − β (θ − φᵏ)), the latter via ``reptile_grad``."""
    path = onp.array(inner_path(loss, theta, data, lr, steps))
    return path, theta - beta * reptile_grad(loss, theta, data, lr, steps)


def _inside(point):
    return EXTENT[0] <= point[0] <= EXTENT[1] and EXTENT[2] <= point[1] <= EXTENT[3]


def reptile_interpolation(a=0.3, b=0.85, lr=0.015, steps=3, beta=0.5, n=60):
    """Contours of the task loss with Reptile's inner path θ → φ and the β-scaled update θ → θ + β(φ − θ)."""
    task = reptile_task()
    loss, data = task.loss, task.data
    points = landscape.grid(EXTENT, n)
    values = loss(points, data)
    fig, ax = figure(width=4.8, height=5.0)
    ax.set(xlim=EXTENT[:2], ylim=EXTENT[2:], xlabel="a (slope)", ylabel="b (offset)", aspect="equal",
           xticks=[0, 0.5, 1], yticks=[0, 0.5, 1])
    ax.grid(False)
    ax.contourf(*points, values, levels=LEVELS, norm=NORM, cmap=CMAP, zorder=0, extend="max")
    ax.plot(*TRUE_LINE, marker="*", ms=13, color=COLORS["task"], mec="white", ls="none", zorder=3)
    green = COLORS["reptile"]
    # Everything the sliders move is animated: drawn over a cached picture of the contours (Demo.render_png).
    (path_line,) = ax.plot([], [], "-o", color="white", mfc=green, mec="white", ms=5, lw=1.5, zorder=3,
                           animated=True)
    (full_line,) = ax.plot([], [], ":", color="white", lw=1.2, zorder=2, animated=True)
    update = ax.quiver([0.0], [0.0], [0.0], [0.0], angles="xy", scale_units="xy", scale=1, color=green,
                       width=0.014, zorder=4, animated=True)
    (theta_dot,) = ax.plot([], [], "o", ms=8, color="white", mec="black", ls="none", zorder=5, clip_on=False,
                           animated=True)
    (new_dot,) = ax.plot([], [], "o", ms=8, color=green, mec="black", ls="none", zorder=5, animated=True)
    ax.legend(handles=[
        Line2D([], [], marker="*", ms=10, color=COLORS["task"], ls="none", label="true (a, b)"),
        Line2D([], [], marker="o", color="white", mec="black", ls="none", label="θ"),
        Line2D([], [], marker="o", mfc=green, mec="white", color="grey", label="inner path θ → φ (k steps)"),
        Line2D([], [], color=green, lw=3, label="update β(φ − θ)"),
        Line2D([], [], marker="o", color=green, mec="black", ls="none", label="new θ"),
    ], loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8)
    fig.subplots_adjust(bottom=0.27, top=0.97)

    def draw(theta_a, theta_b, lr, steps, beta):
        theta = onp.array([theta_a, theta_b])
        path, new = reptile_step(loss, theta, data, lr, steps, beta)
        phi = path[-1]
        path_line.set_data(path[:, 0], path[:, 1])
        full_line.set_data([theta_a, phi[0]], [theta_b, phi[1]])
        update.set_offsets(theta[None, :])
        update.set_UVC(*(new - theta)[:, None])
        theta_dot.set_data([theta_a], [theta_b])
        new_dot.set_data([new[0]], [new[1]])
        message = (f"φ = ({phi[0]:.3f}, {phi[1]:.3f}), new θ = θ + β(φ − θ) = ({new[0]:.3f}, {new[1]:.3f}); "
                   f"L(θ) = {float(loss(theta, data)):.3f}, L(φ) = {float(loss(phi, data)):.3f}, "
                   f"L(new θ) = {float(loss(new, data)):.3f}.")
        if steps == 1:
            message += " With k = 1, φ − θ = −α∇L(θ): Reptile is plain gradient descent on the task (joint training)."
        # On a quadratic a step multiplies the distance to the floor along the steepest direction by 1 − α·λ_max(H).
        sharpness = lr * onp.linalg.eigvalsh(hessian(loss, theta, data))[-1]
        if sharpness > 2:
            message += (f" α·λ_max(H) = {sharpness:.2f} > 2 at θ: the first step overshoots the valley floor. With "
                        "this curvature everywhere (a quadratic) it would land further from the floor than it started "
                        "and the path would move away; here the curvature changes as the path moves, so see whether "
                        "L(φ) still falls.")
        elif sharpness > 1:
            message += (f" α·λ_max(H) = {sharpness:.2f} > 1 at θ: the first step overshoots the valley floor"
                        + (". On a quadratic with this curvature the path would zigzag across the floor as it closes in."
                           if steps > 1 else "."))
        if not all(_inside(p) for p in path):
            message += " Part of the path leaves the picture."
        return message

    style = STYLE
    controls = {
        **theta_sliders(a, b),
        "lr": widgets.FloatSlider(value=lr, min=0.01, max=0.05, step=0.001, readout_format=".3f",
                                  description="inner lr α", style=style),
        "steps": widgets.IntSlider(value=steps, min=1, max=5, description="inner steps k", style=style),
        "beta": widgets.FloatSlider(value=beta, min=0.2, max=0.8, step=0.05, description="interpolation β",
                                    style=style),
    }
    demo = Demo(fig, draw, controls, title="Reptile: k steps on the task, then move θ a fraction β towards φ")
    demo.artists = {"path": path_line, "update": update, "theta": theta_dot, "new_theta": new_dot}
    return demo


DEMOS = {"reptile_interpolation": reptile_interpolation}
