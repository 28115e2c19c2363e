"""The inner loop, written once, and the curvature that differentiating through it brings in.

One inner step on a data set D, plain (λ = 0) or proximal (iMAML, λ > 0):

    φ⁰ = θ,   φⁱ = φⁱ⁻¹ − α (∇L(φⁱ⁻¹; D) + λ (φⁱ⁻¹ − θ)),   U^k(θ) = φᵏ.

For λ = 0 its Jacobian is dU^k/dθ = (I − α H(φᵏ⁻¹)) ··· (I − α H(φ⁰)), H = ∇²L(·; D).

``inner_loop`` differentiates the sum of the loss's values (``autograd.elementwise_grad``), so one
loop runs a θ (d,), a stack of per-task θ's (T, d) with stacked data, or a grid of points (2, n, n).
"""
import autograd
import autograd.numpy as np

from .checks import (check_data, finite_number, finite_vector, positive_number, scalar_loss,
                     whole_number)


def inner_loop(loss, theta, data, lr, steps, lam=0.0, path=False):
    """φᵏ after k = ``steps`` steps φ ← φ − α (∇L(φ; data) + λ (φ − θ)); [φ⁰, …, φᵏ] if ``path``.

    Unchecked and traceable by autograd: the core that every adapting function of mamlkit calls.
    """
    grad = autograd.elementwise_grad(loss)
    phi, phis = theta, [theta]
    for _ in range(steps):
        step = grad(phi, data) + lam * (phi - theta) if lam else grad(phi, data)
        phi = phi - lr * step
        if path:  # else only the last φ is kept: memory does not grow with the steps
            phis.append(phi)
    return phis if path else phi


def inner_path(loss, theta, data, lr, steps=1):
    """[φ⁰ = θ, φ¹, …, φᵏ] with φⁱ = φⁱ⁻¹ − α ∇L(φⁱ⁻¹; data)."""
    return inner_loop(scalar_loss(loss), finite_vector(theta), check_data(data), finite_number(lr),
                      whole_number(steps), path=True)


def adapt(loss, theta, data, lr, steps=1):
    """U^k(θ) = φᵏ, k plain gradient steps from θ; differentiable in θ."""
    return inner_path(loss, theta, data, lr, steps)[-1]


def proximal_adapt(loss, theta, data, lr, steps, lam):
    """φ* ≈ argmin_φ L(φ; D) + λ/2 ‖φ − θ‖², by k steps φ ← φ − α (∇L(φ) + λ (φ − θ)) from θ.

    Near a minimum with Hessian H this converges when λ + λ_min(H) > 0 and α < 2 / (λ + λ_max(H)).
    """
    return inner_loop(scalar_loss(loss), finite_vector(theta), check_data(data), finite_number(lr),
                      whole_number(steps), positive_number(lam, "lam"))


def hessian(loss, theta, data):
    """H = ∇²_θ L(θ; data), the exact d×d matrix (reverse over reverse: about d gradients)."""
    return autograd.hessian(scalar_loss(loss))(finite_vector(theta), check_data(data))


def hvp(loss, theta, data, v):
    """H v = ∇_θ (∇_θ L(θ; data) · v), without forming H (about four loss evaluations)."""
    theta, v = finite_vector(theta), finite_vector(v, "v")
    if v.shape != theta.shape:
        raise ValueError(f"v must have the shape of theta {theta.shape}, got {v.shape}")
    return autograd.hessian_tensor_product(scalar_loss(loss))(theta, check_data(data), v)


def adaptation_jacobian(loss, theta, data, lr, steps=1):
    """dU^k/dθ = ∏ᵢ (I − α H(φⁱ⁻¹)), the latest step on the left: k Hessians, for small d."""
    eye, path = np.eye(np.size(theta)), inner_path(loss, theta, data, lr, steps)
    jac = eye
    for phi in path[:-1]:
        jac = (eye - lr * hessian(loss, phi, data)) @ jac
    return jac
