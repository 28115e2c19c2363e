"""The curvature explorer: what dropping the Hessian does to a gradient, on a 2-D quadratic.

f(x) = ½ (x − ½)ᵀ C (x − ½) + gᵀx with C = [[a, b], [b, c]] and g = (0.1, −0.1) has the gradient

    ∇f(θ) = C (θ − ½) + g,

and with the curvature C set to zero only g is left. This is an analogy for FOMAML, not FOMAML itself: MAML's
one-step meta-gradient is ∇L_te(φ) − αH∇L_te(φ), a vector plus a curvature matrix applied to a vector, and FOMAML
keeps only the vector, as g is kept here and C(θ − ½) dropped. Both are drawn as arrows of the gradient itself
(tail at θ, tip at θ + ∇f), with every component computed from its own coordinate (the article took both
y-components from θ_x and drew θ − ∇f).
"""
import ipywidgets as widgets
import numpy as onp
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D

from .. import landscape
from ..plotting import COLORS, figure
from ..tasks import quadratic_loss
from .base import Demo

G = onp.array([0.1, -0.1])
DEFAULTS = {"a": 0.5, "b": -0.1, "c": 0.0, "theta_x": 0.3, "theta_y": 0.1}
# Fixed levels, so that a colour means the same value of f whatever C is. On [0, 1]² with |a|, |b|, |c| ≤ ½,
# |½(x−½)ᵀC(x−½)| ≤ 0.25 and |gᵀx| ≤ 0.1; |f| ≤ 0.24 holds except in corners at the most extreme C (f reaches
# ±0.35 there), which contourf's extend="both" shows in the end colours.
LEVELS = onp.linspace(-0.24, 0.24, 25)
ZERO = 1e-12  # a gradient shorter than this has no direction


def gradients(a, b, c, theta, g=G):
    """(∇f(θ), g) = (C (θ − ½) + g, g) for C = [[a, b], [b, c]]: the gradient with and without curvature."""
    C = onp.array([[a, b], [b, c]], dtype=float)
    g = onp.asarray(g, dtype=float)
    return C @ (onp.asarray(theta, dtype=float) - 0.5) + g, g.copy()


def angle_and_ratio(true, first_order):
    """(angle in degrees between two 2-D vectors, ‖true‖ / ‖first_order‖); the angle is None when either is 0.

    The angle is atan2(|u × v|, u · v), which is exactly 0 for equal vectors (arccos of the cosine is not).
    """
    n_true, n_first = onp.linalg.norm(true), onp.linalg.norm(first_order)
    ratio = n_true / n_first if n_first > ZERO else float("inf")
    if n_true <= ZERO or n_first <= ZERO:
        return None, ratio
    cross = true[0] * first_order[1] - true[1] * first_order[0]
    return float(onp.degrees(onp.arctan2(abs(cross), true @ first_order))), ratio


def _describe(true, first_order):
    angle, ratio = angle_and_ratio(true, first_order)
    shown = [onp.round(v, 3) + 0.0 for v in (true, first_order)]  # + 0.0 turns a rounded −0 into 0
    head = f"∇f = ({shown[0][0]:+.3f}, {shown[0][1]:+.3f}),  g = ({shown[1][0]:+.3f}, {shown[1][1]:+.3f}).  "
    if angle is None:
        return head + ("The true gradient is zero here (θ is the stationary point of f), so the angle between "
                       "∇f and g is undefined; dropping the curvature still moves θ by the full g.")
    same = onp.array_equal(true, first_order)
    tail = "  The curvature term C(θ − ½) is zero here (C = 0, say), so the two coincide." if same else ""
    return head + f"Angle between them: {angle:.1f}°;  length ratio ‖∇f‖ / ‖g‖ = {ratio:.2f}.{tail}"


def curvature_explorer(n=61):
    """Sliders a, b, c ∈ [−½, ½] for C and θ ∈ [0, 1]²; contours of f with ∇f = C(θ − ½) + g and g from θ."""
    fig, ax = figure(width=4.6, height=5.3)
    points = landscape.grid((0.0, 1.0, 0.0, 1.0), n)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel=r"$x_1$", ylabel=r"$x_2$", aspect="equal")
    ax.set_title(r"$f(x)=\frac{1}{2}(x-\frac{1}{2})^\top C (x-\frac{1}{2}) + g^\top x$, darker is lower", fontsize=9)
    # No colour bar: it would double the time of every redraw; the fixed levels are 0.02 apart.
    cmap, norm = "Blues_r", Normalize(LEVELS[0], LEVELS[-1])
    # animated: drawn over a cached picture of the contours, so moving θ does not redraw them (Demo.render_png)
    arrow = {"angles": "xy", "scale_units": "xy", "scale": 1.0, "width": 0.012, "zorder": 3, "animated": True}
    true_arrow = ax.quiver([0.0], [0.0], [0.0], [0.0], color=COLORS["maml"], **arrow)
    free_arrow = ax.quiver([0.0], [0.0], [0.0], [0.0], color=COLORS["fomaml"], **arrow)
    (dot,) = ax.plot([], [], "o", color="black", zorder=4, animated=True)
    ax.legend(handles=[
        Line2D([], [], color=COLORS["maml"], lw=3,
               label=r"$\nabla f = C(\theta-\frac{1}{2})+g$ (curvature kept, like MAML)"),
        Line2D([], [], color=COLORS["fomaml"], lw=3, label=r"$g$ (curvature dropped, like FOMAML)"),
    ], loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=9)
    fig.subplots_adjust(bottom=0.24, top=0.93)
    state = {"contours": [], "curvature": None}

    def draw(a, b, c, theta_x, theta_y):
        theta = onp.array([theta_x, theta_y])
        if state["curvature"] != (a, b, c):  # the contours depend on C only: keep them while θ moves
            state["curvature"] = (a, b, c)
            draw_contours(a, b, c)
        true, first_order = gradients(a, b, c, theta)
        for quiver, vector in ((true_arrow, true), (free_arrow, first_order)):
            quiver.set_offsets(theta[None, :])
            quiver.set_UVC([vector[0]], [vector[1]])
        dot.set_data([theta_x], [theta_y])
        return _describe(true, first_order)

    def draw_contours(a, b, c):
        values = quadratic_loss(points, (onp.array([[a, b], [b, c]]), G))
        for artist in state["contours"]:
            artist.remove()
        state["contours"] = [ax.contourf(points[0], points[1], values, levels=LEVELS, cmap=cmap, norm=norm,
                                         extend="both", zorder=0),
                             ax.contour(points[0], points[1], values, levels=LEVELS, colors="black",
                                        linewidths=0.5, alpha=0.35, zorder=1)]

    def slider(name, description, low, high):
        return widgets.FloatSlider(value=DEFAULTS[name], min=low, max=high, step=0.01, description=description,
                                   continuous_update=True, style={"description_width": "initial"})

    controls = {"a": slider("a", "a", -0.5, 0.5), "b": slider("b", "b", -0.5, 0.5), "c": slider("c", "c", -0.5, 0.5),
                "theta_x": slider("theta_x", "θ₁", 0.0, 1.0), "theta_y": slider("theta_y", "θ₂", 0.0, 1.0)}

    def zero_curvature(demo):
        demo.update(a=0.0, b=0.0, c=0.0)

    return Demo(fig, draw, controls, buttons={"C = 0": zero_curvature},
                title="Curvature explorer: the gradient with and without the curvature C",
                layout=[["a", "b", "c"], ["theta_x", "theta_y"]])


DEMOS = {"curvature_explorer": curvature_explorer}
