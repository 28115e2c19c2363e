"""What dropping the Hessian costs, and where the curvature of a squared-error loss comes from."""
import warnings
from collections import namedtuple

import autograd
import autograd.numpy as np
import numpy as onp
from autograd.tracer import getval

from .checks import check_data, check_rate, check_steps, check_targets, check_task, check_theta
from .meta import _fomaml, _maml

MetaGradientComparison = namedtuple(
    "MetaGradientComparison", ["exact", "first_order", "dropped", "cosine", "relative_error"]
)
GaussNewtonSplit = namedtuple("GaussNewtonSplit", ["gauss_newton", "residual", "hessian"])


def compare_meta_gradients(loss, theta, task, lr, steps=1):
    """Exact MAML versus FOMAML on one task.

    exact = (dU^k/dθ)ᵀ ∇L_te(φᵏ), first_order = ∇L_te(φᵏ), dropped = exact − first_order (the Hessian terms),
    cosine = ⟨exact, first_order⟩ / (‖exact‖ ‖first_order‖), relative_error = ‖first_order − exact‖ / ‖exact‖.
    Where a vector is zero the cosine is 1 if both are, else 0; the relative error is 0 if both are, else inf.
    """
    theta, task, lr, steps = check_theta(theta), check_task(task), check_rate(lr), check_steps(steps)
    exact = _maml(loss, theta, task, lr, steps)[1]
    first_order = _fomaml(loss, theta, task, lr, steps)[1]
    dropped = exact - first_order
    n_exact, n_first = onp.linalg.norm(exact), onp.linalg.norm(first_order)
    if n_exact > 0 and n_first > 0:
        cosine = float(exact @ first_order / (n_exact * n_first))
    else:
        cosine = 1.0 if n_exact == n_first else 0.0
    if n_exact > 0:
        relative_error = float(onp.linalg.norm(dropped) / n_exact)
    else:
        relative_error = 0.0 if n_first == 0 else float("inf")
    return MetaGradientComparison(exact, first_order, dropped, cosine, relative_error)


def gauss_newton_split(model, theta, data):
    """The Hessian of the mean squared error L = (1/N) Σ_j r_j², r = M(x; θ) − y, split in two:

        ∇²L = (2/N) Σ_j ∇M_j ∇M_jᵀ  +  (2/N) Σ_j r_j ∇²M_j
            =     gauss_newton      +        residual

    In the article's notation with J = ∇_θ M (d×N) and residual y − M this is (2/N)(J Jᵀ − Σ_j (y − M)_j ∇²M_j).
    The Gauss–Newton term is positive semi-definite and survives for a linear model; the residual term vanishes
    for a linear model or at a perfect fit. ``model`` needs ``apply(theta, x)``; returns (gauss_newton, residual,
    hessian) with hessian = their sum, computed independently by autograd.
    """
    theta = check_theta(theta)
    x, y = check_data(data)
    prediction = getval(model.apply(theta, x))
    check_targets(prediction, y)
    n = onp.size(y)

    def outputs(t):
        return np.ravel(model.apply(t, x))

    def mse(t):
        return np.mean((model.apply(t, x) - y) ** 2)

    jac = autograd.jacobian(outputs)(theta)  # (N, d): row j is ∇M_jᵀ
    residuals = (prediction - y).ravel()
    gauss_newton = 2.0 / n * jac.T @ jac
    # Hessian of Σ_j r_j M_j(θ) with r held fixed is Σ_j r_j ∇²M_j.
    with warnings.catch_warnings():
        # For a linear model Σ_j r_j M_j(θ) is linear, so its gradient is constant and autograd warns that the
        # output is independent of the input; the zero Hessian it returns is the right answer.
        warnings.filterwarnings("ignore", "Output seems independent of input", UserWarning)
        residual = autograd.hessian(lambda t: 2.0 / n * np.dot(residuals, outputs(t)))(theta)
    return GaussNewtonSplit(gauss_newton, residual, autograd.hessian(mse)(theta))
