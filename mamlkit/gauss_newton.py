"""A meta-gradient between MAML and FOMAML: keep the Gauss–Newton part of the inner Hessian, drop the rest.

For the mean squared error L(θ; x, y) = (1/N) Σ_j (M(x_j; θ) − y_j)² the Hessian splits (see
``gauss_newton_split``) into G(θ) = (2/N) Jᵀ J, with J = ∂M/∂θ the N×d Jacobian of the outputs, plus the
residual term (2/N) Σ_j r_j ∇²M_j that carries the network's own curvature. Replacing H by G in MAML's
adaptation Jacobian gives

    g_GN = (I − α G(φ⁰))ᵀ ··· (I − α G(φᵏ⁻¹))ᵀ ∇L(φᵏ; D_te),   φ⁰ = θ, φⁱ = φⁱ⁻¹ − α ∇L(φⁱ⁻¹; D_tr),

exact MAML with H → G, FOMAML with H → 0. Each factor needs only a Gauss–Newton-vector product G v = Jᵀ(2/N)(J v)
(one forward- and one reverse-mode pass), so nothing d×d is formed.
"""
import autograd
import autograd.numpy as np

from .checks import check_data, check_rate, check_steps, check_targets, check_task, check_theta
from .inner import _inner_path


def _ggnvp(model, theta, data):
    """v ↦ G(θ) v for the mean squared error of ``model`` on data = (x, y): Jᵀ ∇²_M mse J v with ∇²_M mse = 2/N."""
    x, y = data

    def mse_of_outputs(outputs):
        check_targets(outputs, y)
        return np.mean((outputs - y) ** 2)

    return autograd.make_ggnvp(lambda t: model.apply(t, x), mse_of_outputs)(theta)


def gauss_newton_vector_product(model, theta, data, v):
    """G(θ) v = (2/N) Jᵀ (J v), J = ∂M(x; θ)/∂θ: the Gauss–Newton matrix of the MSE times v, without forming G."""
    theta, data = check_theta(theta), check_data(data)
    v = check_theta(v, "v")
    if v.shape != theta.shape:
        raise ValueError(f"v must have the shape of theta {theta.shape}, got {v.shape}")
    return _ggnvp(model, theta, data)(v)


def gauss_newton_meta_grad(model, theta, task, lr, steps=1):
    """g_GN = ∏ᵢ (I − α G(φⁱ⁻¹))ᵀ ∇L(φᵏ; D_te) for the MSE of ``model`` (which needs ``apply`` and ``loss``).

    The inner path uses the true gradients (the same φᵏ as MAML and FOMAML); only the Jacobian of each step is
    approximated. The product is applied right to left as in reverse mode: v ← ∇L(φᵏ; D_te), then for
    i = k, …, 1, v ← v − α G(φⁱ⁻¹) v (G is symmetric, so transposing a factor changes nothing).
    """
    theta, task = check_theta(theta), check_task(task)
    lr, steps = check_rate(lr), check_steps(steps)
    path = _inner_path(model.loss, theta, task.train, lr, steps)
    v = autograd.grad(model.loss)(path[-1], task.test)
    for phi in reversed(path[:-1]):
        v = v - lr * _ggnvp(model, phi, task.train)(v)
    return v
