"""The inner loop: task adaptation U^k(θ), and the curvature that differentiating through it brings in.

Notation (as in the notebooks): a loss is ``L(θ; D)``; one inner step is

    U(θ) = θ − α ∇_θ L(θ; D),

and k steps are the path φ⁰ = θ, φⁱ = φⁱ⁻¹ − α ∇L(φⁱ⁻¹; D), U^k(θ) = φᵏ. Its Jacobian is the ordered product

    dU^k/dθ = (I − α H(φᵏ⁻¹)) ··· (I − α H(φ¹)) (I − α H(φ⁰)),   H = ∇²L(·; D).
"""
import autograd
import autograd.numpy as np

from .checks import check_data, check_rate, check_steps, check_theta, scalar_loss


def _inner_path(loss, theta, data, lr, steps):
    """[φ⁰, …, φᵏ] without input checks; traceable by autograd (no in-place updates)."""
    grad = autograd.grad(scalar_loss(loss))
    path = [theta]
    for _ in range(steps):
        path.append(path[-1] - lr * grad(path[-1], data))
    return path


def inner_path(loss, theta, data, lr, steps=1):
    """The whole inner trajectory [φ⁰ = θ, φ¹, …, φᵏ] with φⁱ = φⁱ⁻¹ − α ∇L(φⁱ⁻¹; data)."""
    return _inner_path(loss, check_theta(theta), check_data(data), check_rate(lr), check_steps(steps))


def adapt(loss, theta, data, lr, steps=1):
    """U^k(θ) = φᵏ: ``steps`` plain gradient steps φⁱ = φⁱ⁻¹ − α ∇L(φⁱ⁻¹; data) from φ⁰ = θ.

    Differentiable by autograd in θ (this is what MAML differentiates). ``steps=0`` returns θ.
    """
    return inner_path(loss, theta, data, lr, steps)[-1]


def hessian(loss, theta, data):
    """H = ∇²_θ L(θ; data), the exact d×d Hessian by reverse-over-reverse autodiff (``autograd.hessian``: one
    reverse pass through the gradient per row, so about d gradient evaluations)."""
    theta = check_theta(theta)
    return autograd.hessian(scalar_loss(loss))(theta, check_data(data))


def hvp(loss, theta, data, v):
    """H v = ∇_θ (∇_θ L(θ; data) · v): a Hessian-vector product without forming H (about 4 loss evaluations)."""
    theta = check_theta(theta)
    v = check_theta(v, "v")
    if v.shape != theta.shape:
        raise ValueError(f"v must have the shape of theta {theta.shape}, got {v.shape}")
    return autograd.hessian_tensor_product(scalar_loss(loss))(theta, check_data(data), v)


def adaptation_jacobian(loss, theta, data, lr, steps=1):
    """dU^k/dθ = ∏ᵢ (I − α H(φⁱ⁻¹)), the ordered product along the inner path (latest step on the left).

    Built from exact Hessians at each point of the path, so it costs k Hessians: a teaching tool for small d.
    """
    path = inner_path(loss, theta, data, lr, steps)
    eye = np.eye(path[0].size)
    jac = eye
    for phi in path[:-1]:
        jac = (eye - lr * hessian(loss, phi, data)) @ jac
    return jac
