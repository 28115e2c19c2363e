"""Meta-gradients: how the shared initialisation θ should move so that adapting from it works well.

For one task with support set D_tr, query set D_te and the k-step inner loop U^k (inner.py):

    pretrain  g = ∇L(θ; D)                           D = D_tr ∪ D_te: joint training
    MAML      g = ∇_θ L(U^k(θ; D_tr); D_te) = (dU^k/dθ)ᵀ ∇L(φᵏ; D_te)
    FOMAML    g = ∇L(φᵏ; D_te)                        dU^k/dθ replaced by I
    Reptile   g = θ − U^k(θ; D)                       outer step θ ← θ − β g
    iMAML     g = (I + H_tr(φ*)/λ)⁻¹ ∇L(φ*; D_te),    φ* ≈ argmin_φ L(φ; D_tr) + λ/2 ‖φ − θ‖²

The functions ``pretrain`` … ``imaml`` are these formulas and return (the loss the method
reports, g); the ``*_grad`` functions check a user's arguments and return g. The formulas hold
unchanged for a stack of T per-task copies of θ (T, d) with stacked data: a meta-batch at once.
"""
import inspect

import autograd
import autograd.numpy as np

from .checks import (check_task, check_tasks, finite_number, finite_vector, positive_number,
                     scalar_loss, whole_number)
from .inner import inner_loop
from .tasks import Task, can_stack, joint_data, stack


class NotPositiveDefiniteError(ValueError):
    """Conjugate gradient met a direction p with pᵀAp ≤ 0: the matrix is not positive definite."""


def value_and_grad(f, x):
    """(f(x), ∇ Σ f(x)): for a stack of θ's (T, d), row t is the gradient of the t-th value."""
    vjp, value = autograd.make_vjp(f)(x)
    return value, vjp(np.ones_like(value))


def pretrain(loss, theta, task):
    data = joint_data(task)
    return value_and_grad(lambda t: loss(t, data), theta)


def maml(loss, theta, task, lr, steps=1):
    def query_loss_after_adapting(t):
        return loss(inner_loop(loss, t, task.train, lr, steps), task.test)
    return value_and_grad(query_loss_after_adapting, theta)


def fomaml(loss, theta, task, lr, steps=1):
    phi = inner_loop(loss, theta, task.train, lr, steps)
    return value_and_grad(lambda p: loss(p, task.test), phi)


def reptile(loss, theta, task, lr, steps):
    data = joint_data(task)
    phi = inner_loop(loss, theta, data, lr, steps)
    return loss(phi, data), theta - phi


def imaml(loss, theta, task, lr, steps, lam, cg_steps=5):
    phi = inner_loop(loss, theta, task.train, lr, steps, lam)
    value, test_grad = value_and_grad(lambda p: loss(p, task.test), phi)
    # v ↦ H v, the vector-Jacobian product of φ ↦ ∇L(φ; D_tr) (H is symmetric), traced once at φ*
    hvp, _ = autograd.make_vjp(autograd.elementwise_grad(loss))(phi, task.train)
    return value, conjugate_gradient(lambda v: v + hvp(v) / lam, test_grad, cg_steps)


def checked(method, loss, theta, task, **hyper):
    """The gradient g of ``method`` on one task, the user's arguments checked first."""
    theta, task, hyper = finite_vector(theta), check_task(task), check_hyper(method, hyper)
    return METHODS[method](scalar_loss(loss), theta, task, **hyper)[1]


def pretrain_grad(loss, theta, task):
    """∇_θ L(θ; D) on all of the task's data D, support and query together: joint training."""
    return checked("pretrain", loss, theta, task)


def maml_grad(loss, theta, task, lr, steps=1):
    """Exact MAML, ∇_θ L(U^k(θ; D_tr); D_te) = ∏ (I − α H_tr(φⁱ⁻¹))ᵀ ∇L(φᵏ; D_te)."""
    return checked("maml", loss, theta, task, lr=lr, steps=steps)


def fomaml_grad(loss, theta, task, lr, steps=1):
    """First-order MAML: ∇L(φᵏ; D_te) at φᵏ = U^k(θ; D_tr), the Jacobian dU^k/dθ replaced by I."""
    return checked("fomaml", loss, theta, task, lr=lr, steps=steps)


def reptile_grad(loss, theta, data, lr, steps):
    """Reptile's direction θ − U^k(θ; D) on one task's data D (given a Task: all of its data).

    The outer step θ ← θ − β (θ − φ) moves θ towards φ; with k = 1 it is α ∇L(θ; D), joint training.
    """
    task = data if hasattr(data, "train") else Task(data, data)
    return checked("reptile", loss, theta, task, lr=lr, steps=steps)


def imaml_grad(loss, theta, task, lr, steps, lam, cg_steps=5):
    """iMAML: (I + H_tr(φ*)/λ)⁻¹ ∇L(φ*; D_te), φ* from k proximal steps (``proximal_adapt``).

    The system is solved by ``cg_steps`` iterations of conjugate gradient on Hessian-vector
    products, so memory does not grow with the inner steps.
    """
    return checked("imaml", loss, theta, task, lr=lr, steps=steps, lam=lam, cg_steps=cg_steps)


def conjugate_gradient(matvec, b, steps, tol=1e-12):
    """Solve A x = b for symmetric positive definite A, given v ↦ A v, in at most ``steps`` steps.

    b may also be T right-hand sides (T, d) of T independent systems, ``matvec`` mapping row t to
    A_t v_t: every scalar of CG is then per row. A row stops once ‖r‖ ≤ tol · max(1, ‖b‖).

    A direction with pᵀAp ≤ 0 raises NotPositiveDefiniteError: it proves that A is not positive
    definite (for iMAML, λ ≤ −λ_min(H)). The converse does not hold: iterations that meet no such
    direction prove nothing, as CG probes few directions (``spectrum.extreme_eigenvalues``: λ_min).
    """
    if not (isinstance(b, np.ndarray) and b.ndim in (1, 2) and b.size):
        raise ValueError(f"b must be a vector (d,) or rows (T, d), got shape {np.shape(b)}")
    steps, b = whole_number(steps, "steps", 1), np.array(b, dtype=float)
    finite = np.all(np.isfinite(b), axis=-1, keepdims=True)  # else x is nan, not a silent 0
    x, r, p = np.zeros_like(b), b, b
    rr = np.sum(r * r, axis=-1)
    threshold, active = tol * np.maximum(1.0, np.sqrt(rr)), np.ones(np.shape(rr), dtype=bool)
    for _ in range(steps):
        active = active & (np.sqrt(rr) > threshold)
        if not np.any(active):
            break
        Ap = matvec(p)
        curvature = np.sum(p * Ap, axis=-1)
        bad = active & (curvature <= 0)
        if np.any(bad):
            task = f", for task {np.argmax(bad)}," if b.ndim == 2 else ""
            raise NotPositiveDefiniteError(
                f"conjugate gradient met{task} a direction p with p^T A p <= 0: the matrix is not "
                "positive definite (for iMAML, I + H/λ needs λ > -λ_min(H); raise λ)")
        step = np.where(active, rr / np.where(active, curvature, 1.0), 0.0)[..., None]
        x, r = x + step * p, r - step * Ap
        rr_new = np.sum(r * r, axis=-1)
        beta = (rr_new / np.where(active, rr, 1.0))[..., None]
        p = np.where(active[..., None], r + beta * p, p)
        rr = np.where(active, rr_new, rr)
    return np.where(finite, x, np.nan)


METHODS = {"pretrain": pretrain, "maml": maml, "fomaml": fomaml, "reptile": reptile, "imaml": imaml}
CHECKS = {"lr": finite_number, "steps": whole_number, "lam": positive_number,
          "cg_steps": lambda n, name: whole_number(n, name, 1)}


def check_hyper(method, hyper):
    """A method's hyperparameters, checked; a missing or unknown one is named with the rest."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    parameters = list(inspect.signature(METHODS[method]).parameters.values())[3:]
    names = [p.name for p in parameters]
    missing = [p.name for p in parameters if p.default is p.empty and p.name not in hyper]
    unknown = sorted(set(hyper) - set(names))
    if missing or unknown:
        raise ValueError(f"hyperparameters of {method!r}: missing {missing}, unknown {unknown} "
                         f"(it takes {', '.join(names) or 'none'})")
    return {name: CHECKS[name](value, name) for name, value in hyper.items()}


def meta_value_and_gradient(method, loss, theta, tasks, **hyper):
    """(1/T) Σ_i (L_i, g_i): the mean reported loss and meta-gradient of ``method`` over ``tasks``.

    The loss is L(θ; D) for pretrain, L(φ; D_te) for MAML, FOMAML and iMAML, L(φ; D) for Reptile.
    Batching rule: a loss with ``loss.vectorised = True`` takes a stack of parameters (T, d) with
    stacked data (T, K, …) and returns the T per-task losses (``MLP.loss`` does). For such a loss
    and tasks of equal shapes the method runs once on θ repeated T times, giving the T
    meta-gradients as rows; otherwise it runs task by task.
    """
    hyper, theta, tasks = check_hyper(method, hyper), finite_vector(theta), check_tasks(tasks)
    if getattr(loss, "vectorised", False) and can_stack(tasks):
        batch = stack(tasks, joint=method in ("pretrain", "reptile"))
        values, grads = METHODS[method](loss, np.repeat(theta[None], len(tasks), 0), batch, **hyper)
    else:
        values, grads = zip(*(METHODS[method](scalar_loss(loss), theta, t, **hyper) for t in tasks))
    return float(np.mean(values)), np.mean(np.array(grads), axis=0)


def meta_gradient(method, loss, theta, tasks, **hyper):
    """(1/T) Σ_i g_i of ``method`` over ``tasks`` (see ``meta_value_and_gradient``)."""
    return meta_value_and_gradient(method, loss, theta, tasks, **hyper)[1]
