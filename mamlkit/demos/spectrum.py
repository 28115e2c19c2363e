"""The spectrum of the inner-loss Hessian of the sinusoid MLP, and what it does to I − αH.

One inner step has the Jacobian I − αH, whose eigenvalues are 1 − αλ for the eigenvalues λ of H = ∇²L_train.
A direction with 0 < λ < 2/α shrinks, one with λ > 2/α is flipped and stretched, one with λ ≤ 0 never
shrinks. ‖I − αH‖ = max(|1 − αλ_min|, |1 − αλ_max|) (see ``mamlkit.spectrum``), and k steps with the Hessian
frozen at θ give (I − αH)ᵏ with norm ‖I − αH‖ᵏ. The true k-step Jacobian is the ordered product of
I − αH(φⁱ⁻¹) along the path, bounded by ∏ᵢ ‖I − αH(φⁱ⁻¹)‖; for small α the path stays near θ and the frozen
picture is its first approximation.

The eigenvalues do not depend on α or k, so the builder computes them once (top and bottom few, by Lanczos
on Hessian-vector products) and every redraw is arithmetic.
"""
import functools

import ipywidgets as widgets
import numpy as onp
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from .. import zoo
from ..models import MLP
from ..plotting import COLORS, figure
from ..spectrum import contraction_limit, extreme_eigenvalues, step_norm
from ..tasks import Sinusoid
from .base import Demo

MAX_STEPS = 10
INIT_COLOR = "black"  # the random initialisation is no method, so it gets no method colour


def spectra(amplitude=2.0, phase=onp.pi / 2, k_support=10, n_eigen=6, seed=0):
    """{label: (bottom n_eigen, top n_eigen eigenvalues)} of ∇²L_train on one sinusoid task, at a seeded random
    initialisation and (if the file is shipped) at the MAML-trained θ of ``zoo.load("maml")``; and a note
    saying what is missing. Cached however it is called: the Lanczos runs take a few seconds."""
    return _spectra(float(amplitude), float(phase), int(k_support), int(n_eigen), int(seed))


@functools.lru_cache(maxsize=4)
def _spectra(amplitude, phase, k_support, n_eigen, seed):
    task = Sinusoid().task(onp.random.default_rng(seed), amplitude, phase, k_support, 10)
    try:
        model, trained, _info = zoo.load("maml")
    except ValueError:
        model, trained = MLP((1, 40, 40, 1), "relu"), None
    points = {"initialisation": model.init(onp.random.default_rng(seed))}
    note = ""
    if trained is None:
        note = "The MAML-trained model (mamlkit/weights/maml.npz) is not shipped yet: only the initialisation is shown."
    else:
        points["MAML-trained"] = trained
    found = {label: (extreme_eigenvalues(model.loss, theta, task.train, n_eigen, "SA"),
                     extreme_eigenvalues(model.loss, theta, task.train, n_eigen, "LA"))
             for label, theta in points.items()}
    return found, note


def _limits(found):
    """Fixed λ-axis limits covering every computed eigenvalue with a margin."""
    low = min(ends[0][0] for ends in found.values())
    high = max(ends[1][-1] for ends in found.values())
    pad = 0.08 * (high - min(low, 0.0))
    return min(low, 0.0) - pad, high + pad


def hessian_spectrum(amplitude=2.0, phase=onp.pi / 2, k_support=10, n_eigen=6):
    """Sliders α (inner rate) and k (steps) over the precomputed ends of the Hessian spectrum at init vs MAML."""
    found, note = spectra(amplitude, phase, k_support, n_eigen)
    colors = {"initialisation": INIT_COLOR, "MAML-trained": COLORS["maml"]}
    fig, (ax_factor, ax_power) = figure(ncols=2, width=4.6, height=3.6)
    lam_axis = _limits(found)
    lams = onp.linspace(*lam_axis, 200)

    ax_factor.set(xlim=lam_axis, ylim=(0.0, 3.0), xlabel=r"eigenvalue $\lambda$ of $H$",
                  ylabel=r"$|1-\alpha\lambda|$", title=f"one step along each eigenvector (top and bottom {n_eigen})")
    shrink = ax_factor.axvspan(0.0, 1.0, color=COLORS["task"], alpha=0.12, label=r"shrunk: $0<\lambda<2/\alpha$")
    ax_factor.axhline(1.0, color="grey", lw=0.8, ls="--")
    (factor_curve,) = ax_factor.plot([], [], color="grey", lw=1)
    factor_dots = {label: ax_factor.plot([], [], "o", color=colors[label], ms=5, label=label)[0] for label in found}
    ax_factor.legend(loc="upper left", fontsize=8)

    steps_axis = onp.arange(MAX_STEPS + 1)
    ax_power.set(xlim=(0, MAX_STEPS), ylim=(1e-2, 1e2), yscale="log", xlabel="inner steps k",
                 title=r"$k$ steps with $H$ frozen at $\theta$: $(I-\alpha H)^k$")
    ax_power.yaxis.set_minor_locator(NullLocator())  # fewer tick labels: each one costs redraw time
    ax_power.axhline(1.0, color="grey", lw=0.8, ls="--")
    power_lines = {label: ax_power.plot([], [], color=colors[label])[0] for label in found}
    top_lines = {label: ax_power.plot([], [], color=colors[label], ls=":")[0] for label in found}
    power_marks = {label: ax_power.plot([], [], "o", color=colors[label])[0] for label in found}
    ax_power.legend(handles=[Line2D([], [], color="grey", label=r"norm $\|I-\alpha H\|^k$"),
                             Line2D([], [], color="grey", ls=":", label=r"top direction $|1-\alpha\lambda_{max}|^k$")],
                    loc="lower left", fontsize=8)
    fig.tight_layout()
    # Everything draw() changes is animated: redrawn over a cached picture of the axes (Demo.render_png).
    for artist in (shrink, factor_curve, *factor_dots.values(), *power_lines.values(), *top_lines.values(),
                   *power_marks.values()):
        artist.set_animated(True)

    def draw(lr, steps):
        shrink.set_width(min(2.0 / lr, lam_axis[1]))  # the span only needs to reach the axis edge
        factor_curve.set_data(lams, onp.abs(1.0 - lr * lams))
        lines = [f"α = {lr:.3g}, k = {steps}."]
        for label, (bottom, top) in found.items():
            values = onp.concatenate((bottom, top))
            factor_dots[label].set_data(values, onp.abs(1.0 - lr * values))
            norm, top_factor = float(step_norm(bottom[0], top[-1], lr)), abs(1.0 - lr * top[-1])
            power_lines[label].set_data(steps_axis, norm ** steps_axis)
            power_marks[label].set_data([steps], [norm ** steps])
            top_lines[label].set_data(steps_axis, top_factor ** steps_axis)
            limit = contraction_limit(bottom[0], top[-1])
            if limit > 0:
                verdict = "a contraction" if lr < limit else "not a contraction"
            else:
                verdict = f"never a contraction (λ_min = {bottom[0]:.2f} ≤ 0 gives |1 − αλ_min| ≥ 1)"
            state = "shrunk" if top_factor < 1 else "not shrunk: α ≥ 2/λ_max, the step overshoots"
            lines.append(f"{label}: λ ∈ [{bottom[0]:.2f}, {top[-1]:.2f}], 2/λ_max = {2 / top[-1]:.3g}; steepest "
                         f"direction × {top_factor:.3f} per step ({state}); ‖I − αH‖ = {norm:.3f}, {verdict}; "
                         f"‖I − αH‖^{steps} = {norm ** steps:.3g}.")
        return "\n".join(lines + ([note] if note else []))

    controls = {
        "lr": widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=0, step=0.05, description="inner rate α",
                                     style={"description_width": "initial"}),
        "steps": widgets.IntSlider(value=5, min=1, max=MAX_STEPS, description="inner steps k",
                                   style={"description_width": "initial"}),
    }
    title = (f"Hessian spectrum of the inner loss: sinusoid A = {amplitude:.3g}, phase = {phase:.3g}, "
             f"K = {k_support}, MLP 1-40-40-1")
    return Demo(fig, draw, controls, title=title)


DEMOS = {"hessian_spectrum": hessian_spectrum}
