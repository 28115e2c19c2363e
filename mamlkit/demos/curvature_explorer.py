"""f(θ) = ½ (θ − ½)ᵀ C (θ − ½) + gᵀθ, θ = (a, b), has ∇f(θ) = C (θ − ½) + g, and g alone without
the curvature C, as FOMAML keeps only ∇L_te(φ) of MAML's ∇L_te(φ) − αH∇L_te(φ). Both arrows start
at θ and point along the gradient, drawn longer by one common factor that keeps them in the view."""
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from .. import landscape
from ..plotting import COLORS, figure
from ..tasks import quadratic_loss
from .base import Demo, arrow, marker, pair, sliders

G = np.array([0.1, -0.1])
# The article's defaults but c₁₁ = 0.4: its 0.5 is the slider's maximum.
DEFAULTS = {"c11": 0.4, "c12": -0.1, "c22": 0.0, "theta_a": 0.3, "theta_b": 0.1}
LABELS = {"c11": "c₁₁", "c12": "c₁₂", "c22": "c₂₂", "theta_a": "θ: a", "theta_b": "θ: b"}
VIEW = (-0.2, 1.2, -0.2, 1.2)  # θ moves in [0, 1]²; the margin leaves room for the arrows
SCALE = 3.0  # arrows are drawn SCALE times the gradient, less where that would leave VIEW
# Fixed, so that a colour is a value of f whatever C is (beyond ±0.24: the end colours).
LEVELS = np.linspace(-0.24, 0.24, 25)
ZERO = 1e-12  # a gradient shorter than this has no direction


def gradients(c11, c12, c22, theta):
    """(∇f(θ), g) = (C (θ − ½) + g, g) for C = [[c₁₁, c₁₂], [c₁₂, c₂₂]]: with and without
    curvature."""
    return np.array([[c11, c12], [c12, c22]]) @ (np.asarray(theta) - 0.5) + G, G.copy()


def angle_and_ratio(true, first_order):
    """(their angle in degrees, None if either is 0; ‖true‖ / ‖first_order‖) of 2-vectors, by
    atan2(|u × v|, u · v), exactly 0 for equal vectors (arccos is not)."""
    n_true, n_first = np.linalg.norm(true), np.linalg.norm(first_order)
    ratio = n_true / n_first if n_first > ZERO else float("inf")
    if n_true <= ZERO or n_first <= ZERO:
        return None, ratio
    cross = true[0] * first_order[1] - true[1] * first_order[0]
    return float(np.degrees(np.arctan2(abs(cross), true @ first_order))), ratio


def arrow_scale(theta, vectors, view=VIEW, scale=SCALE):
    """The common factor s ≤ scale such that every θ + s·v stays inside ``view`` (a small margin
    kept for the arrow heads): the arrows keep their directions and their ratio of lengths."""
    low, high = np.array(view[::2]) + 0.01, np.array(view[1::2]) - 0.01
    theta = np.asarray(theta, dtype=float)
    for v in vectors:
        for j in range(2):
            if v[j] > ZERO:
                scale = min(scale, (high[j] - theta[j]) / v[j])
            elif v[j] < -ZERO:
                scale = min(scale, (low[j] - theta[j]) / v[j])
    return float(scale)


def _axes(ax, title=""):
    ax.set(xlim=VIEW[:2], ylim=VIEW[2:], aspect="equal", xticks=[0, 0.5, 1], yticks=[0, 0.5, 1],
           xlabel="θ: a", ylabel="θ: b", title=title)
    ax.grid(False)
    ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, ls=":", lw=1, color="0.3", zorder=2))


def _contours(ax, points, c11, c12, c22):
    values = quadratic_loss(points, (np.array([[c11, c12], [c12, c22]]), G))
    return [ax.contourf(*points, values, levels=LEVELS, cmap="Blues_r", extend="both",
                        norm=Normalize(LEVELS[0], LEVELS[-1]), zorder=0),
            ax.contour(*points, values, levels=LEVELS, colors="black", linewidths=0.5,
                       alpha=0.35, zorder=1)]


def _place(quivers, theta, vectors):
    """Both arrows from θ along their vectors, drawn at the common arrow_scale; returns it."""
    s = arrow_scale(theta, vectors)
    for quiver, vector in zip(quivers, vectors):
        quiver.set_offsets(np.reshape(theta, (1, 2)))
        quiver.set_UVC(*np.reshape(vector, (2, 1)))
        quiver.scale = 1.0 / s if s > 0 else 1.0  # a quiver in xy units draws U / scale
    return s


def _legend_handles(sep=" "):
    return [Line2D([], [], color=COLORS["maml"], lw=3,
                   label=r"$\nabla f = C(\theta-\frac{1}{2})+g$" + sep
                   + "(curvature kept, like MAML)"),
            Line2D([], [], color=COLORS["fomaml"], lw=3, ls="--",
                   label=r"$g$" + sep + "(curvature dropped, like FOMAML)"),
            Line2D([], [], color="0.3", ls=":", lw=1, label="where θ can go, [0, 1]²")]


def _arrows(ax):
    # the dashed white edge tells the FOMAML arrow from MAML's where colour alone would not
    return (arrow(ax, COLORS["maml"], width=0.014, zorder=3),
            arrow(ax, COLORS["fomaml"], width=0.009, zorder=3, edgecolor="white", linewidth=0.8,
                  linestyle="--"))


def curvature_panels(settings, n=61, width=4.2, height=4.3):
    """A row of static panels, one per (title, c11, c12, c22, θ) in ``settings``."""
    fig, axes = figure(ncols=len(settings), width=width, height=height)
    points = landscape.grid(VIEW, n)
    for ax, (title, c11, c12, c22, theta) in zip(np.atleast_1d(axes), settings):
        true, first_order = gradients(c11, c12, c22, theta)
        angle, ratio = angle_and_ratio(true, first_order)
        _axes(ax, f"{title}\nangle {angle:.1f}°, ‖∇f‖ / ‖g‖ = {ratio:.2f}")
        _contours(ax, points, c11, c12, c22)
        quivers = _arrows(ax)
        for quiver in quivers:
            quiver.set_animated(False)
        s = _place(quivers, theta, (true, first_order))
        ax.plot(*theta, "ko", zorder=4)
        ax.text(0.02, 0.02, f"arrows ×{s:.1f}", transform=ax.transAxes, fontsize=9)
    fig.legend(handles=_legend_handles(), loc="lower center", ncol=3)
    fig.subplots_adjust(bottom=0.22, top=0.86, wspace=0.25)
    return fig


def curvature_explorer(n=61):
    """Sliders c₁₁, c₁₂, c₂₂ ∈ [−½, ½] for C and θ ∈ [0, 1]²; contours of f, ∇f and g from θ."""
    fig, ax = figure(width=9.0, height=5.6)
    fig.subplots_adjust(left=0.07, right=0.6, bottom=0.1, top=0.92)
    points = landscape.grid(VIEW, n)
    _axes(ax)
    ax.set_title(r"$f(\theta)=\frac{1}{2}(\theta-\frac{1}{2})^\top C (\theta-\frac{1}{2})"
                 r" + g^\top\theta$, darker is lower", fontsize=10)
    # No colour bar: it would double the time of every redraw; the fixed levels are 0.02 apart.
    quivers = _arrows(ax)
    dot = marker(ax, color="black", zorder=4)
    ax.legend(handles=_legend_handles("\n"), loc="center left", bbox_to_anchor=(1.04, 0.5),
              fontsize=10, handlelength=3, labelspacing=1.2)
    state = {"contours": [], "curvature": None}

    def draw(c11, c12, c22, theta_a, theta_b):
        theta = np.array([theta_a, theta_b])
        if state["curvature"] != (c11, c12, c22):  # the contours depend on C only
            state["curvature"] = (c11, c12, c22)
            for artist in state["contours"]:
                artist.remove()
            state["contours"] = _contours(ax, points, c11, c12, c22)
        true, first_order = gradients(c11, c12, c22, theta)
        s = _place(quivers, theta, (true, first_order))
        dot.set_data([theta_a], [theta_b])
        angle, ratio = angle_and_ratio(true, first_order)
        head = f"∇f = {pair(true)},  g = {pair(first_order)} (arrows drawn ×{s:.1f}).  "
        if angle is None:
            return head + ("The true gradient is zero here (θ is the stationary point of f), so "
                           "the angle between ∇f and g is undefined; dropping the curvature still "
                           "moves θ by the full g.")
        same = ("  The curvature term C(θ − ½) is zero here (C = 0, say), so the two coincide."
                if np.array_equal(true, first_order) else "")
        return head + (f"Angle between them: {angle:.1f}°;  length ratio ‖∇f‖ / ‖g‖ = "
                       f"{ratio:.2f}.{same}")

    table = {name: (LABELS[name], DEFAULTS[name], -0.5, 0.5, 0.01)
             for name in ("c11", "c12", "c22")}
    table.update({name: (LABELS[name], DEFAULTS[name], 0.0, 1.0, 0.01)
                  for name in ("theta_a", "theta_b")})
    return Demo(fig, draw, sliders(table), drag=("theta_a", "theta_b", [ax]),
                buttons={"C = 0": lambda demo: demo.update(c11=0, c12=0, c22=0)},
                title="Curvature explorer: the gradient with and without the curvature C")
