"""The extreme eigenvalues of a loss Hessian H = ∇²L(θ; D) from Hessian-vector products alone, and what they
say about one inner step's Jacobian I − αH.

H is never formed: scipy's ARPACK Lanczos solver (``eigsh``) only needs v ↦ H v, which ``hvp`` gives at the
cost of a few loss evaluations, so the top of the spectrum of a network with thousands of parameters is cheap.

For symmetric H with eigenvalues λ_min ≤ … ≤ λ_max the step Jacobian I − αH has eigenvalues 1 − αλ, so

    ‖I − αH‖₂ = max_λ |1 − αλ| = max(|1 − αλ_min|, |1 − αλ_max|)

(|1 − αλ| is convex in λ, so the maximum over the spectrum sits at one of its ends). It is below one, a
contraction, exactly when 0 < λ_min and α < 2/λ_max.
"""
import numpy as onp
from scipy.sparse.linalg import LinearOperator, eigsh

from .checks import check_data, check_nonnegative, check_rate, check_seed, check_steps, check_theta
from .inner import hvp, inner_path

WHICH = {"LA": "largest", "SA": "smallest", "LM": "largest in magnitude"}


def hessian_operator(loss, theta, data):
    """H = ∇²L(θ; data) as a scipy ``LinearOperator`` (d×d, symmetric) whose matvec is v ↦ H v by ``hvp``."""
    theta, data = check_theta(theta), check_data(data)

    def matvec(v):
        return hvp(loss, theta, data, onp.ravel(v))

    return LinearOperator((theta.size, theta.size), matvec=matvec, rmatvec=matvec, dtype=onp.float64)


def extreme_eigenvalues(loss, theta, data, k=6, which="LA", tol=1e-10, seed=0):
    """The k eigenvalues of H = ∇²L(θ; data) at one end of its spectrum, sorted ascending.

    ``which`` is "LA" (the k largest), "SA" (the k smallest, most negative) or "LM" (the k largest |λ|).
    Computed by ``scipy.sparse.linalg.eigsh`` (implicitly restarted Lanczos) on ``hessian_operator``, with its
    start vector drawn from ``default_rng(seed)`` so that reruns agree to the last digit.
    """
    theta = check_theta(theta)
    k = check_steps(k, "k", minimum=1)
    if k >= theta.size:
        raise ValueError(f"k must be below the number of parameters {theta.size}, got {k}; use hessian + eigvalsh")
    if which not in WHICH:
        raise ValueError(f"which must be one of {sorted(WHICH)}, got {which!r}")
    tol = check_nonnegative(tol, "tol")
    start = onp.random.default_rng(check_seed(seed)).standard_normal(theta.size)
    values = eigsh(hessian_operator(loss, theta, data), k=k, which=which, tol=tol, v0=start,
                   return_eigenvectors=False)
    return onp.sort(values)


def sharpness_along_path(loss, theta, data, lr, steps):
    """[λ_max(∇²L(φ⁰; data)), …, λ_max(∇²L(φᵏ; data))] along the inner path φⁱ = φⁱ⁻¹ − α ∇L(φⁱ⁻¹; data), φ⁰ = θ.

    The next plain step overshoots along the top direction when α·λ_max(φⁱ) > 2. For a quadratic λ_max is the
    same at every point; for a network it changes as the steps move φ, so one number at θ does not decide whether
    fine-tuning diverges: the path does. A point where φ or the curvature has overflowed gives nan.
    """
    with onp.errstate(over="ignore", invalid="ignore"):  # a diverging path overflows, and so does H there
        path = inner_path(loss, theta, data, lr, steps)
        probes = [hvp(loss, phi, data, onp.ones_like(phi)) if onp.all(onp.isfinite(phi)) else onp.nan for phi in path]
    return onp.array([extreme_eigenvalues(loss, phi, data, k=1)[0] if onp.all(onp.isfinite(probe)) else onp.nan
                      for phi, probe in zip(path, probes)])


def check_spectrum(lam_min, lam_max):
    """The two ends of a spectrum: finite real numbers with lam_min ≤ lam_max."""
    lam_min, lam_max = check_rate(lam_min, "lam_min"), check_rate(lam_max, "lam_max")
    if lam_min > lam_max:
        raise ValueError(f"lam_min must not exceed lam_max, got {lam_min} > {lam_max}")
    return lam_min, lam_max


def step_norm(lam_min, lam_max, lr):
    """‖I − αH‖₂ = max(|1 − αλ_min|, |1 − αλ_max|) from the two ends of H's spectrum (α may be an array)."""
    lam_min, lam_max = check_spectrum(lam_min, lam_max)
    lr = onp.asarray(lr)
    if lr.dtype.kind not in "fiu" or not onp.all(onp.isfinite(lr)):
        raise ValueError(f"lr must be finite real numbers, got {lr!r}")
    return onp.maximum(onp.abs(1.0 - lr * lam_min), onp.abs(1.0 - lr * lam_max))


def contraction_limit(lam_min, lam_max):
    """The largest α̅ with ‖I − αH‖ < 1 for all 0 < α < α̅: 2/λ_max if λ_min > 0, else 0 (never a contraction,
    since a direction with λ ≤ 0 has |1 − αλ| ≥ 1 for every α > 0)."""
    lam_min, lam_max = check_spectrum(lam_min, lam_max)
    return 2.0 / lam_max if lam_min > 0 else 0.0
