"""What dropping the Hessian costs, where the curvature of a squared error comes from, and a
meta-gradient between MAML and FOMAML that keeps its Gauss–Newton part.

For the mean squared error the Hessian is G(θ) = (2/N) Jᵀ J, J = ∂M/∂θ (N×d), plus a residual term
(``gauss_newton_split``). Replacing H by G in MAML's adaptation Jacobian gives

    g_GN = (I − α G(φ⁰))ᵀ ··· (I − α G(φᵏ⁻¹))ᵀ ∇L(φᵏ; D_te):  MAML with H → G, FOMAML with H → 0,

where each factor needs only a Gauss–Newton-vector product G v (``autograd.make_ggnvp``).
"""
import warnings
from collections import namedtuple

import autograd
import autograd.numpy as np
from autograd.tracer import getval

from .checks import (check_data, check_targets, check_task, finite_number, finite_vector,
                     whole_number)
from .inner import inner_loop
from .meta import fomaml_grad, maml_grad

MetaGradientComparison = namedtuple("MetaGradientComparison",
                                    ["exact", "first_order", "dropped", "cosine", "relative_error"])
GaussNewtonSplit = namedtuple("GaussNewtonSplit", ["gauss_newton", "residual", "hessian"])


def compare_meta_gradients(loss, theta, task, lr, steps=1):
    """Exact MAML against FOMAML on one task.

    exact = (dU^k/dθ)ᵀ ∇L_te(φᵏ), first_order = ∇L_te(φᵏ), dropped = exact − first_order,
    cosine = ⟨exact, first_order⟩ / (‖exact‖ ‖first_order‖) (1 if both are zero, 0 if one is),
    relative_error = ‖dropped‖ / ‖exact‖ (0 if both are zero, inf if only exact is).
    """
    exact = maml_grad(loss, theta, task, lr, steps)
    first_order = fomaml_grad(loss, theta, task, lr, steps)
    n_exact, n_first = np.linalg.norm(exact), np.linalg.norm(first_order)
    both = n_exact > 0 and n_first > 0
    cosine = float(exact @ first_order / (n_exact * n_first)) if both else float(n_exact == n_first)
    if n_exact > 0:
        relative_error = float(np.linalg.norm(exact - first_order) / n_exact)
    else:
        relative_error = 0.0 if n_first == 0 else np.inf
    return MetaGradientComparison(exact, first_order, exact - first_order, cosine, relative_error)


def gauss_newton_split(model, theta, data):
    """The Hessian of the mean squared error L = (1/N) Σ_j r_j², r = M(x; θ) − y, split in two:

        ∇²L = (2/N) Σ_j ∇M_j ∇M_jᵀ  +  (2/N) Σ_j r_j ∇²M_j
            =     gauss_newton      +        residual

    The Gauss–Newton term is positive semi-definite; the residual term vanishes for a linear model
    or at a perfect fit. Returns both and the Hessian, computed independently by autograd.
    """
    theta, (x, y) = finite_vector(theta), check_data(data)
    prediction = getval(model.apply(theta, x))
    check_targets(np.shape(prediction), y)
    n, residuals = np.size(y), (prediction - y).ravel()

    def outputs(t):
        return np.ravel(model.apply(t, x))

    jac = autograd.jacobian(outputs)(theta)  # (N, d): row j is ∇M_jᵀ
    with warnings.catch_warnings():  # for a linear model Σ_j r_j M_j is linear: a zero Hessian
        warnings.filterwarnings("ignore", "Output seems independent of input", UserWarning)
        residual = autograd.hessian(lambda t: 2.0 / n * np.dot(residuals, outputs(t)))(theta)
    hessian = autograd.hessian(lambda t: np.mean((model.apply(t, x) - y) ** 2))(theta)
    return GaussNewtonSplit(2.0 / n * jac.T @ jac, residual, hessian)


def _ggnvp(model, theta, data):
    """v ↦ G(θ) v = Jᵀ (∂²mse/∂M²) J v, with ∂²mse/∂M² = 2/N."""
    x, y = data

    def mse_of_outputs(outputs):
        check_targets(np.shape(outputs), y)
        return np.mean((outputs - y) ** 2)

    return autograd.make_ggnvp(lambda t: model.apply(t, x), mse_of_outputs)(theta)


def gauss_newton_vector_product(model, theta, data, v):
    """G(θ) v = (2/N) Jᵀ (J v), J = ∂M(x; θ)/∂θ, without forming G."""
    theta, data, v = finite_vector(theta), check_data(data), finite_vector(v, "v")
    if v.shape != theta.shape:
        raise ValueError(f"v must have the shape of theta {theta.shape}, got {v.shape}")
    return _ggnvp(model, theta, data)(v)


def gauss_newton_meta_grad(model, theta, task, lr, steps=1):
    """g_GN = ∏ᵢ (I − α G(φⁱ⁻¹))ᵀ ∇L(φᵏ; D_te) for the MSE of ``model``.

    The inner path is the true one (MAML's and FOMAML's φᵏ); the product is applied right to left,
    v ← ∇L(φᵏ; D_te), then v ← v − α G(φⁱ⁻¹) v for i = k, …, 1 (G is symmetric).
    """
    theta, task, lr = finite_vector(theta), check_task(task), finite_number(lr)
    path = inner_loop(model.loss, theta, task.train, lr, whole_number(steps), path=True)
    v = autograd.grad(model.loss)(path[-1], task.test)
    for phi in reversed(path[:-1]):
        v = v - lr * _ggnvp(model, phi, task.train)(v)
    return v
