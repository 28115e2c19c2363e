"""f(x) = ½ (x − ½)ᵀ C (x − ½) + gᵀx has ∇f(θ) = C (θ − ½) + g, and g alone without curvature C,
as FOMAML keeps only ∇L_te(φ) of MAML's ∇L_te(φ) − αH∇L_te(φ): both drawn from θ to θ + ∇f."""
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D

from .. import landscape
from ..plotting import COLORS, figure
from ..tasks import quadratic_loss
from .base import UNIT, Demo, arrow, marker, pair, place, sliders

G = np.array([0.1, -0.1])
DEFAULTS = {"a": 0.5, "b": -0.1, "c": 0.0, "theta_x": 0.3, "theta_y": 0.1}
# Fixed, so that a colour is a value of f whatever C is: on [0, 1]² |f| ≤ 0.24 but in the corners
# at the most extreme C, which extend="both" shows in the end colours.
LEVELS = np.linspace(-0.24, 0.24, 25)
ZERO = 1e-12  # a gradient shorter than this has no direction


def gradients(a, b, c, theta):
    """(∇f(θ), g) = (C (θ − ½) + g, g) for C = [[a, b], [b, c]]: with and without curvature."""
    return np.array([[a, b], [b, c]]) @ (np.asarray(theta) - 0.5) + G, G.copy()


def angle_and_ratio(true, first_order):
    """(their angle in degrees, None if either is 0; ‖true‖ / ‖first_order‖) of 2-vectors, by
    atan2(|u × v|, u · v), exactly 0 for equal vectors (arccos is not)."""
    n_true, n_first = np.linalg.norm(true), np.linalg.norm(first_order)
    ratio = n_true / n_first if n_first > ZERO else float("inf")
    if n_true <= ZERO or n_first <= ZERO:
        return None, ratio
    cross = true[0] * first_order[1] - true[1] * first_order[0]
    return float(np.degrees(np.arctan2(abs(cross), true @ first_order))), ratio


def curvature_explorer(n=61):
    """Sliders a, b, c ∈ [−½, ½] for C and θ ∈ [0, 1]²; contours of f, ∇f and g from θ."""
    fig, ax = figure(width=4.6, height=5.3)
    points = landscape.grid(UNIT, n)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel=r"$x_1$", ylabel=r"$x_2$", aspect="equal")
    ax.set_title(r"$f(x)=\frac{1}{2}(x-\frac{1}{2})^\top C (x-\frac{1}{2}) + g^\top x$, "
                 "darker is lower", fontsize=9)
    # No colour bar: it would double the time of every redraw; the fixed levels are 0.02 apart.
    true_arrow, free_arrow = (arrow(ax, COLORS[m], zorder=3) for m in ("maml", "fomaml"))
    dot = marker(ax, color="black", zorder=4)
    ax.legend(handles=[
        Line2D([], [], color=COLORS["maml"], lw=3,
               label=r"$\nabla f = C(\theta-\frac{1}{2})+g$ (curvature kept, like MAML)"),
        Line2D([], [], color=COLORS["fomaml"], lw=3, label=r"$g$ (curvature dropped, like FOMAML)"),
    ], loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=9)
    fig.subplots_adjust(bottom=0.24, top=0.93)
    state = {"contours": [], "curvature": None}

    def draw(a, b, c, theta_x, theta_y):
        theta = np.array([theta_x, theta_y])
        if state["curvature"] != (a, b, c):  # the contours depend on C only: kept while θ moves
            state["curvature"] = (a, b, c)
            values = quadratic_loss(points, (np.array([[a, b], [b, c]]), G))
            for artist in state["contours"]:
                artist.remove()
            state["contours"] = [
                ax.contourf(*points, values, levels=LEVELS, cmap="Blues_r", extend="both",
                            norm=Normalize(LEVELS[0], LEVELS[-1]), zorder=0),
                ax.contour(*points, values, levels=LEVELS, colors="black", linewidths=0.5,
                           alpha=0.35, zorder=1)]
        true, first_order = gradients(a, b, c, theta)
        place(true_arrow, theta, true)
        place(free_arrow, theta, first_order)
        dot.set_data([theta_x], [theta_y])
        angle, ratio = angle_and_ratio(true, first_order)
        head = f"∇f = {pair(true)},  g = {pair(first_order)}.  "
        if angle is None:
            return head + ("The true gradient is zero here (θ is the stationary point of f), so "
                           "the angle between ∇f and g is undefined; dropping the curvature still "
                           "moves θ by the full g.")
        same = ("  The curvature term C(θ − ½) is zero here (C = 0, say), so the two coincide."
                if np.array_equal(true, first_order) else "")
        return head + (f"Angle between them: {angle:.1f}°;  length ratio ‖∇f‖ / ‖g‖ = "
                       f"{ratio:.2f}.{same}")

    curvature = {name: (name, DEFAULTS[name], -0.5, 0.5, 0.01) for name in "abc"}
    controls = sliders({**curvature, "theta_x": ("θ₁", DEFAULTS["theta_x"], 0.0, 1.0, 0.01),
                        "theta_y": ("θ₂", DEFAULTS["theta_y"], 0.0, 1.0, 0.01)})
    return Demo(fig, draw, controls, buttons={"C = 0": lambda demo: demo.update(a=0, b=0, c=0)},
                title="Curvature explorer: the gradient with and without the curvature C")
