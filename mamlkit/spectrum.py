"""The extreme eigenvalues of a loss Hessian H = ∇²L(θ; D) from Hessian-vector products alone, and
what they say about one inner step's Jacobian I − αH.

scipy's Lanczos solver (``eigsh``) needs only v ↦ H v (``hvp``), so the ends of the spectrum of a
network with thousands of parameters are cheap. I − αH has eigenvalues 1 − αλ, so

    ‖I − αH‖₂ = max(|1 − αλ_min|, |1 − αλ_max|),

below one (a contraction) exactly when 0 < λ_min and α < 2/λ_max.
"""
import autograd.numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

from .checks import check_data, finite_vector, whole_number
from .inner import hvp, inner_path

WHICH = {"LA": "largest", "SA": "smallest", "LM": "largest in magnitude"}


def hessian_operator(loss, theta, data):
    """H = ∇²L(θ; data) as a symmetric scipy ``LinearOperator`` whose matvec is ``hvp``."""
    theta, data = finite_vector(theta), check_data(data)
    return LinearOperator((theta.size,) * 2, matvec=lambda v: hvp(loss, theta, data, np.ravel(v)),
                          dtype=np.float64)


def extreme_eigenvalues(loss, theta, data, k=6, which="LA", tol=1e-10, seed=0):
    """The k eigenvalues of H = ∇²L(θ; data) at one end of its spectrum, ascending.

    ``which``: "LA" the k largest, "SA" the k smallest, "LM" the k largest |λ|. The Lanczos start
    vector is drawn from ``default_rng(seed)``, so reruns agree to the last digit.
    """
    theta, k = finite_vector(theta), whole_number(k, "k", 1)
    if k >= theta.size:
        raise ValueError(f"k must be below the number of parameters {theta.size}, got {k}")
    if which not in WHICH:
        raise ValueError(f"which must be one of {sorted(WHICH)}, got {which!r}")
    start = np.random.default_rng(seed).standard_normal(theta.size)
    return np.sort(eigsh(hessian_operator(loss, theta, data), k=k, which=which, tol=tol, v0=start,
                         return_eigenvectors=False))


def sharpness_along_path(loss, theta, data, lr, steps):
    """[λ_max(∇²L(φ⁰; data)), …, λ_max(∇²L(φᵏ; data))] along the plain inner path from θ.

    A step overshoots along the top direction (the error there changes sign) when α·λ_max > 1 and
    grows along it when α·λ_max > 2; for a network λ_max moves with φ, so the path decides, not θ.
    A point where φ or the curvature overflowed gives nan.
    """
    values = []
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging path overflows, H there too
        for phi in inner_path(loss, theta, data, lr, steps):
            finite = np.all(np.isfinite(phi)) and np.all(np.isfinite(hvp(loss, phi, data,
                                                                          np.ones_like(phi))))
            values.append(extreme_eigenvalues(loss, phi, data, k=1)[0] if finite else np.nan)
    return np.array(values)


def step_norm(lam_min, lam_max, lr):
    """‖I − αH‖₂ = max(|1 − αλ_min|, |1 − αλ_max|) from the ends of the spectrum (α: any array)."""
    lr = np.asarray(lr, dtype=float)
    return np.maximum(np.abs(1.0 - lr * lam_min), np.abs(1.0 - lr * lam_max))


def contraction_limit(lam_min, lam_max):
    """The largest ᾱ with ‖I − αH‖ < 1 for all 0 < α < ᾱ: 2/λ_max if λ_min > 0, else 0 (a direction
    with λ ≤ 0 has |1 − αλ| ≥ 1 for every α > 0)."""
    if not lam_min <= lam_max:
        raise ValueError(f"lam_min must not exceed lam_max, got {lam_min} > {lam_max}")
    return 2.0 / lam_max if lam_min > 0 else 0.0
