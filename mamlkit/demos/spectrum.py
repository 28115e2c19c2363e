"""The ends of the spectrum of H = ∇²L_train for the sinusoid MLP and one inner step's
Jacobian I − αH: eigenvalues 1 − αλ, ‖I − αH‖ = max(|1 − αλ_min|, |1 − αλ_max|), and
‖I − αH‖ᵏ for k steps."""
import functools

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from .. import zoo
from ..plotting import COLORS, MARKERS, figure
from ..spectrum import contraction_limit, extreme_eigenvalues, step_norm
from ..tasks import Sinusoid
from .base import Demo, sliders

MAX_STEPS = 10
COLORS_AT = {"initialisation": "black", "MAML-trained": COLORS["maml"]}  # init is no method
MARKERS_AT = {"initialisation": "s", "MAML-trained": MARKERS["maml"]}  # not by colour alone


def spectra(amplitude=2.0, phase=np.pi / 2, k_support=10, n_eigen=6, seed=0):
    """{label: (bottom, top n_eigen eigenvalues)} of ∇²L_train on one sinusoid task (amplitude A,
    phase ψ) at a seeded initialisation and the shipped MAML θ; cached (Lanczos takes ~1 s)."""
    return _spectra(float(amplitude), float(phase), int(k_support), int(n_eigen), int(seed))


@functools.lru_cache(maxsize=4)
def _spectra(amplitude, phase, k_support, n_eigen, seed):
    task = Sinusoid().task(np.random.default_rng(seed), amplitude, phase, k_support, 10)
    model, trained, _info = zoo.load("maml")
    points = {"initialisation": model.init(np.random.default_rng(seed)), "MAML-trained": trained}
    return {label: tuple(extreme_eigenvalues(model.loss, theta, task.train, n_eigen, end)
                         for end in ("SA", "LA")) for label, theta in points.items()}


def hessian_spectrum(amplitude=2.0, phase=np.pi / 2, k_support=10, n_eigen=6):
    """Sliders α and k over the precomputed ends of the Hessian spectrum at init and after MAML."""
    found = spectra(amplitude, phase, k_support, n_eigen)
    fig, (ax_factor, ax_power) = figure(ncols=2, width=6.2, height=3.8)
    low = min(0.0, *(bottom[0] for bottom, _ in found.values()))  # fixed: every λ found, and 0
    high = max(top[-1] for _, top in found.values())
    lam_axis = (low - 0.08 * (high - low), high + 0.08 * (high - low))
    lams = np.linspace(*lam_axis, 200)
    ax_factor.set(xlim=lam_axis, ylim=(0.0, 3.0), xlabel=r"eigenvalue $\lambda$ of $H$",
                  ylabel=r"$|1-\alpha\lambda|$",
                  title=f"one step along each eigenvector (top and bottom {n_eigen})")
    shrink = ax_factor.axvspan(0.0, 1.0, color=COLORS["task"], alpha=0.12,
                               label=r"shrunk: $0<\lambda<2/\alpha$")
    factor_curve, = ax_factor.plot([], [], color="grey", lw=1)
    dots = {label: ax_factor.plot([], [], MARKERS_AT[label], color=COLORS_AT[label], ms=5,
                                  label=label)[0]
            for label in found}
    ax_factor.legend(loc="upper left", fontsize=8)
    steps_axis = np.arange(MAX_STEPS + 1)
    ax_power.set(xlim=(0, MAX_STEPS), ylim=(1e-2, 1e2), yscale="log", xlabel="inner steps k",
                 ylabel="stretch factor after k steps",
                 title=r"$k$ steps with $H$ frozen at $\theta$: $(I-\alpha H)^k$")
    ax_power.yaxis.set_minor_locator(NullLocator())  # fewer tick labels: each costs redraw time
    for ax in (ax_factor, ax_power):
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    curves = {(label, kind): ax_power.plot([], [], fmt or MARKERS_AT[label], ms=7,
                                           color=COLORS_AT[label])[0]
              for kind, fmt in (("norm", "-"), ("top", ":"), ("now", "")) for label in found}
    ax_power.legend(handles=[Line2D([], [], color="grey", label=r"norm $\|I-\alpha H\|^k$"),
                             Line2D([], [], color="grey", ls=":",
                                    label=r"top direction $|1-\alpha\lambda_{max}|^k$"),
                             *(Line2D([], [], color=COLORS_AT[label], marker=MARKERS_AT[label],
                                      label=label) for label in found)],
                    loc="lower left", fontsize=8)
    fig.tight_layout()
    for artist in (shrink, factor_curve, *dots.values(), *curves.values()):  # drawn over a cache
        artist.set_animated(True)

    def draw(lr, steps):
        shrink.set_width(min(2.0 / lr, lam_axis[1]))  # the span only needs to reach the axis edge
        factor_curve.set_data(lams, np.abs(1.0 - lr * lams))
        lines = [f"α = {lr:.3g}, k = {steps}."]
        for label, (bottom, top) in found.items():
            values = np.concatenate((bottom, top))
            dots[label].set_data(values, np.abs(1.0 - lr * values))
            norm, top_factor = float(step_norm(bottom[0], top[-1], lr)), abs(1.0 - lr * top[-1])
            curves[label, "norm"].set_data(steps_axis, norm ** steps_axis)
            curves[label, "top"].set_data(steps_axis, top_factor ** steps_axis)
            curves[label, "now"].set_data([steps], [norm ** steps])
            limit = contraction_limit(bottom[0], top[-1])
            verdict = (("a contraction" if lr < limit else "not a contraction") if limit > 0
                       else f"never a contraction (λ_min = {bottom[0]:.2f} ≤ 0 gives "
                       "|1 − αλ_min| ≥ 1)")
            state = "shrunk" if top_factor < 1 else "grown: α ≥ 2/λ_max, the step overshoots it"
            lines.append(f"{label}: λ ∈ [{bottom[0]:.2f}, {top[-1]:.2f}], 2/λ_max = "
                         f"{2 / top[-1]:.3g}; steepest direction × {top_factor:.3f} per step "
                         f"({state}); ‖I − αH‖ = {norm:.3f}, {verdict}; "
                         f"‖I − αH‖^{steps} = {norm ** steps:.3g}.")
        return "\n".join(lines)

    controls = sliders({"lr": ("α", 0.01, -3, 0, 0.05, {"base": 10}),
                        "steps": ("k", 5, 1, MAX_STEPS, 1)})
    return Demo(fig, draw, controls, title=f"Hessian spectrum of the inner loss: sinusoid A = "
                f"{amplitude:.3g}, ψ = {phase:.3g}, K = {k_support}, MLP 1-40-40-1")
