"""Meta-gradients: how the shared initialisation θ should move so that adapting from it works well.

For one task with support set D_tr and query set D_te, and U^k the k-step inner loop (see inner.py):

* MAML      g = ∇_θ L(U^k(θ); D_te) = (dU^k/dθ)ᵀ ∇L(φᵏ; D_te)               exact, second order
* FOMAML    g = ∇L(φᵏ; D_te)                                                 dU^k/dθ replaced by I
* Reptile   g = θ − U^k(θ; D)   on all of the task's data D                  outer step θ ← θ − β g
* iMAML     g = (I + H_tr(φ*)/λ)⁻¹ ∇L(φ*; D_te),  φ* ≈ argmin L(φ; D_tr) + λ/2 ‖φ − θ‖²
            (optionally damped as the iMAML authors' code does: see ``imaml_grad``)
* pretrain  g = ∇L(θ; D)          joint training on all tasks, no adaptation

Each ``*_grad`` function is the readable reference for one task. ``meta_gradient`` averages a method over a
batch of tasks; ``meta_value_and_gradient`` also returns the mean loss the method reports.
"""
import inspect

import autograd
import numpy as onp

from . import batched
from .checks import (
    check_data,
    check_nonnegative,
    check_positive,
    check_rate,
    check_steps,
    check_task,
    check_tasks,
    check_theta,
    scalar_loss,
)
from .inner import _inner_path
from .tasks import joint_data


class NotPositiveDefiniteError(ValueError):
    """Conjugate gradient met a direction p with pᵀAp ≤ 0: the system matrix is not positive definite."""


# ----------------------------------------------------------------------------------------------------------
# One task, value and gradient (unchecked, the work horses)


def _pretrain(loss, theta, task):
    return autograd.value_and_grad(scalar_loss(loss))(theta, joint_data(task))


def _maml(loss, theta, task, lr, steps=1):
    def query_loss_after_adaptation(t):
        return scalar_loss(loss)(_inner_path(loss, t, task.train, lr, steps)[-1], task.test)

    return autograd.value_and_grad(query_loss_after_adaptation)(theta)


def _fomaml(loss, theta, task, lr, steps=1):
    phi = _inner_path(loss, theta, task.train, lr, steps)[-1]
    return autograd.value_and_grad(scalar_loss(loss))(phi, task.test)


def _reptile(loss, theta, task, lr, steps):
    data = joint_data(task)
    phi = _inner_path(loss, theta, data, lr, steps)[-1]
    return scalar_loss(loss)(phi, data), theta - phi


def _imaml(loss, theta, task, lr, steps, lam, cg_steps=5, cg_damping=0.0, lam_damping=0.0):
    phi = _proximal_adapt(loss, theta, task.train, lr, steps, lam)
    value, test_grad = autograd.value_and_grad(scalar_loss(loss))(phi, task.test)
    hvp = autograd.hessian_tensor_product(scalar_loss(loss))

    def system(v):  # ((1 + ρ) I + H_train(φ*)/(λ + λ_d)) v, one Hessian-vector product; ρ = λ_d = 0: I + H/λ
        return (1.0 + cg_damping) * v + hvp(phi, task.train, v) / (lam + lam_damping)

    return value, _conjugate_gradient(system, test_grad, cg_steps)


# ----------------------------------------------------------------------------------------------------------
# Public per-task meta-gradients


def pretrain_grad(loss, theta, task):
    """∇_θ L(θ; D) on all of the task's data D (support and query together): joint training."""
    return _pretrain(loss, check_theta(theta), check_task(task))[1]


def maml_grad(loss, theta, task, lr, steps=1):
    """Exact MAML: ∇_θ L(U^k(θ; D_tr); D_te), second order, by reverse mode through the k inner steps.

    Equals (dU^k/dθ)ᵀ ∇L(φᵏ; D_te) with dU^k/dθ = ∏ (I − α H_tr(φⁱ⁻¹)) (see ``adaptation_jacobian``).
    """
    return _maml(loss, check_theta(theta), check_task(task), check_rate(lr), check_steps(steps))[1]


def fomaml_grad(loss, theta, task, lr, steps=1):
    """First-order MAML: ∇_φ L(φ; D_te) at φ = U^k(θ; D_tr); the Jacobian dU^k/dθ is replaced by I."""
    return _fomaml(loss, check_theta(theta), check_task(task), check_rate(lr), check_steps(steps))[1]


def reptile_grad(loss, theta, data, lr, steps):
    """Reptile's direction θ − U^k(θ; D) on one task's data D (no train/test split).

    The outer update is θ ← θ − β (θ − φ) = θ + β (φ − θ). With k = 1 it is α ∇L(θ; D): joint training.
    A ``Task`` may be passed as ``data``; then all of its data is used.
    """
    theta, lr, steps = check_theta(theta), check_rate(lr), check_steps(steps)
    task = data if hasattr(data, "train") else (data, data)
    check_data(joint_data(task))
    return _reptile(loss, theta, task, lr, steps)[1]


def proximal_adapt(loss, theta, data, lr, steps, lam):
    """φ* ≈ argmin_φ L(φ; D) + λ/2 ‖φ − θ‖², by ``steps`` gradient steps φ ← φ − α (∇L(φ) + λ(φ − θ)) from φ = θ.

    Plain gradient descent converges when α < 2 / (λ_max(H) + λ).
    """
    theta, data, lr = check_theta(theta), check_data(data), check_rate(lr)
    return _proximal_adapt(loss, theta, data, lr, check_steps(steps), check_positive(lam, "lam"))


def _proximal_adapt(loss, theta, data, lr, steps, lam):
    grad = autograd.grad(scalar_loss(loss))
    phi = theta
    for _ in range(steps):
        phi = phi - lr * (grad(phi, data) + lam * (phi - theta))
    return phi


def conjugate_gradient(matvec, b, steps, tol=1e-12):
    """Solve A x = b for symmetric positive definite A, given only v ↦ A v, in at most ``steps`` CG iterations.

    Starts from x = 0. Raises NotPositiveDefiniteError when a search direction has pᵀAp ≤ 0, since CG's
    answer is then meaningless (for iMAML: λ is below −λ_min(H), so I + H/λ has a non-positive eigenvalue).
    CG stops early once ‖r‖ ≤ tol · max(1, ‖b‖).
    """
    steps = check_steps(steps, "cg_steps", minimum=1)
    return _conjugate_gradient(matvec, check_theta(b, "b"), steps, check_nonnegative(tol, "tol"))


def _conjugate_gradient(matvec, b, steps, tol=1e-12):
    x = onp.zeros_like(b)
    r = onp.array(b, dtype=float)
    p = r.copy()
    rr = r @ r
    for _ in range(steps):
        if onp.sqrt(rr) <= tol * max(1.0, onp.linalg.norm(b)):
            break
        Ap = matvec(p)
        curvature = p @ Ap
        if curvature <= 0:
            raise NotPositiveDefiniteError(
                f"conjugate gradient met a direction p with p^T A p / p^T p = {curvature / (p @ p):.3g} <= 0: "
                "the system matrix is not positive definite "
                "(for iMAML, I + H/λ needs λ > -λ_min(H); raise λ)"
            )
        step = rr / curvature
        x = x + step * p
        r = r - step * Ap
        rr_new = r @ r
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


def imaml_grad(loss, theta, task, lr, steps, lam, cg_steps=5, cg_damping=0.0, lam_damping=0.0):
    """iMAML: g = (I + H_tr(φ*)/λ)⁻¹ ∇L(φ*; D_te), with φ* from ``proximal_adapt`` (``steps`` steps of rate α).

    The linear system has the *query* gradient on its right-hand side and is solved by ``cg_steps`` iterations
    of conjugate gradient using only Hessian-vector products, so memory does not grow with ``steps``.

    Damping (off by default): with ρ = ``cg_damping`` and λ_d = ``lam_damping`` the system solved is
    ((1 + ρ) I + H_tr(φ*)/(λ + λ_d)) g = ∇L(φ*; D_te). The iMAML authors' code solves it with ρ = 1, λ_d = 10.
    It is positive definite while λ_min(H) > −(1 + ρ)(λ + λ_d) instead of −λ, at the price of a biased gradient:
    g = (I + H_tr(φ*)/λ')⁻¹ ∇L(φ*; D_te) / (1 + ρ) with λ' = (1 + ρ)(λ + λ_d) in the solve only (φ* keeps λ),
    so the correction to FOMAML's ∇L(φ*; D_te) is smaller than the exact one's.
    """
    theta, task = check_theta(theta), check_task(task)
    lr, steps, lam = check_rate(lr), check_steps(steps), check_positive(lam, "lam")
    cg_steps = check_steps(cg_steps, "cg_steps", minimum=1)
    cg_damping, lam_damping = check_nonnegative(cg_damping, "cg_damping"), check_nonnegative(lam_damping, "lam_damping")
    return _imaml(loss, theta, task, lr, steps, lam, cg_steps, cg_damping, lam_damping)[1]


# ----------------------------------------------------------------------------------------------------------
# A batch of tasks

METHODS = {"pretrain": _pretrain, "maml": _maml, "fomaml": _fomaml, "reptile": _reptile, "imaml": _imaml}


def check_hyper(method, hyper):
    """Validate a method's hyperparameters by name; unknown methods list the valid ones.

    The names a method takes are those of its function above after (loss, theta, task); the ones without a
    default are required. A missing, misspelt or foreign name is a ValueError that lists the allowed ones.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    parameters = list(inspect.signature(METHODS[method]).parameters.values())[3:]
    allowed = ", ".join(p.name for p in parameters) or "none"
    missing = [p.name for p in parameters if p.default is inspect.Parameter.empty and p.name not in hyper]
    unknown = [name for name in hyper if name not in {p.name for p in parameters}]
    if missing or unknown:
        problem = "; ".join(([f"missing {', '.join(missing)}"] if missing else [])
                            + ([f"does not take {', '.join(unknown)}"] if unknown else []))
        raise ValueError(f"hyperparameters of {method!r}: {problem} (it takes: {allowed})")
    checked = dict(hyper)
    for name, value in hyper.items():
        if name == "lr":
            checked[name] = check_rate(value, "lr")
        elif name == "steps":
            checked[name] = check_steps(value, "steps")
        elif name == "lam":
            checked[name] = check_positive(value, "lam")
        elif name == "cg_steps":
            checked[name] = check_steps(value, "cg_steps", minimum=1)
        elif name in ("cg_damping", "lam_damping"):
            checked[name] = check_nonnegative(value, name)
    return checked


def meta_value_and_gradient(method, loss, theta, tasks, **hyper):
    """(mean loss, mean meta-gradient) of ``method`` over ``tasks``: (1/T) Σ_i (L_i, g_i).

    The loss is what the method reports: L(θ; D) for pretrain, L(φ; D_te) after adaptation for MAML, FOMAML
    and iMAML, L(φ; D) for Reptile. For an MLP's own ``loss`` and tasks of equal shapes the batch is computed
    in one vectorised pass (``batched.py``); the per-task functions above are the reference it is tested against.
    """
    hyper = check_hyper(method, hyper)
    theta = check_theta(theta)
    tasks = check_tasks(tasks)
    fast = batched.value_and_gradient(method, loss, theta, tasks, **hyper)
    if fast is not None:
        return fast
    values, grads = zip(*(METHODS[method](loss, theta, t, **hyper) for t in tasks))
    return float(onp.mean(values)), onp.mean(grads, axis=0)


def meta_gradient(method, loss, theta, tasks, **hyper):
    """The mean meta-gradient (1/T) Σ_i g_i of ``method`` ∈ {pretrain, maml, fomaml, reptile, imaml} over ``tasks``."""
    return meta_value_and_gradient(method, loss, theta, tasks, **hyper)[1]
