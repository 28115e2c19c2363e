"""Meta-gradients of an MLP over a whole batch of tasks at once: the fast path behind ``meta_value_and_gradient``.

The per-task functions in meta.py are the readable reference; this module computes the same numbers with one
vectorised pass over all T tasks of a batch, for the MLP's mean squared error when every task has the same
shapes. Tasks are stacked, x of shape (T, K, m) and y of shape (T, K, n), and each task gets its own copy of the
network: layer ℓ holds W (T, m, n) and b (T, 1, n). θ itself is kept as W (m, n) and b (1, n) and broadcasts
against the task axis, so Φ⁰ = θ needs no tiling. Since tasks do not interact,

    ∇_Φ Σ_t L_t(Φ_t)   has row t equal to ∇L_t(Φ_t),

so one inner step of every task is Φ ← Φ − α ∇_Φ Σ_t L_t(Φ_t).

Why it is fast: the gradient of the squared error is written out as the MLP's backward pass (``_gradient``) in
autograd.numpy. With plain arrays (FOMAML, Reptile, pretraining, iMAML's inner loop) that is plain numpy with
no tracing; for MAML, autograd differentiates the whole unrolled inner loop once, ∇_θ (1/T) Σ_t L_te,t(U_t(θ)),
which is reverse mode over this explicit backward pass (second order, exact: the ReLU mask is piecewise constant).
"""
from collections import namedtuple

import autograd
import autograd.numpy as np
import numpy as onp
from autograd.builtins import tuple as traced_tuple  # a tuple autograd can trace through

from .models import MLP

Batch = namedtuple("Batch", ["train", "test"])
Batch.__doc__ = "A stack of tasks: ``train`` and ``test`` are (x, y) with shapes (T, K, m) and (T, K, n)."


def stack(tasks):
    """The tasks as a Batch of stacked arrays, or None when they are not all (x, y) pairs of equal shapes."""
    sets = []
    for part in (0, 1):
        pairs = [task[part] for task in tasks]
        if not all(isinstance(p, tuple) and len(p) == 2 and all(hasattr(a, "shape") for a in p) for p in pairs):
            return None
        x_shape, y_shape = onp.shape(pairs[0][0]), onp.shape(pairs[0][1])
        if len(x_shape) != 2 or len(y_shape) != 2 or x_shape[0] != y_shape[0]:
            return None
        if any(onp.shape(x) != x_shape or onp.shape(y) != y_shape for x, y in pairs):
            return None
        sets.append((onp.stack([p[0] for p in pairs]).astype(float), onp.stack([p[1] for p in pairs]).astype(float)))
    return Batch(*sets)


def joint(batch):
    """All of each task's data, support and query concatenated along the point axis (as ``tasks.joint_data``)."""
    return tuple(onp.concatenate([a, b], axis=1) for a, b in zip(batch.train, batch.test))


def mlp_of(loss):
    """The MLP whose bound ``loss`` method ``loss`` is, or None for any other loss."""
    model = getattr(loss, "__self__", None)
    if isinstance(model, MLP) and getattr(loss, "__func__", None) is MLP.loss:
        return model
    return None


# ----------------------------------------------------------------------------------------------------------
# The MLP's forward and backward pass on parameter lists [(W, b), …]


def unpack(model, theta):
    """θ (d,) as the list [(W (m, n), b (1, n)), …] of the MLP's layers (slices, so autograd can trace them)."""
    layers, start = [], 0
    for m, n in model.shapes:
        layers.append((np.reshape(theta[start:start + m * n], (m, n)),
                       np.reshape(theta[start + m * n:start + m * n + n], (1, n))))
        start += m * n + n
    return layers


def flat_mean(layers):
    """(1/T) Σ_t of per-task parameters [(W (T, m, n), b (T, 1, n)), …] as one flat vector (d,).

    Arrays without the task axis (θ itself, shared by all tasks) are taken as they are.
    """
    return onp.concatenate([onp.ravel(a.mean(axis=0) if a.ndim == 3 else a) for layer in layers for a in layer])


def flat_rows(layers, n_tasks):
    """Per-task parameters as a (T, d) array, row t = Φ_t (shared arrays are repeated)."""
    return onp.concatenate([onp.broadcast_to(a, (n_tasks,) + a.shape[-2:]).reshape(n_tasks, -1)
                            for layer in layers for a in layer], axis=1)


def _forward(model, layers, x, xp=np):
    """M(x; Φ) (T, K, n_out), the input of every layer and the activation's derivative σ'(h) at every hidden layer.

    ``xp`` is the array module: autograd.numpy where autograd traces the pass, plain numpy (no wrapper cost) else.
    """
    inputs, slopes, h = [], [], x
    for i, (W, b) in enumerate(layers):
        inputs.append(h)
        h = xp.matmul(h, W) + b
        if i < len(layers) - 1:
            if model.activation == "relu":
                slope = h > 0  # a constant mask (not traced): ReLU'' = 0 almost everywhere
                h = h * slope
            else:
                h = xp.tanh(h)
                slope = 1.0 - h * h
            slopes.append(slope)
    return h, inputs, slopes


def _gradient(model, layers, data, xp=np):
    """Per-task losses L_t = mean_(k,j) (M(x_tk; Φ_t)_j − y_tkj)², shape (T,), and their gradients
    [(∂L_t/∂W (T, m, n), ∂L_t/∂b (T, 1, n)), …]: the backward pass of the MLP written out.

    With r = M − y and δ = 2r/(K n) at the output, a layer with input a has ∂L/∂W = aᵀδ, ∂L/∂b = Σ_k δ_k, and
    passes δ ← (δ Wᵀ) ⊙ σ'(h) down to the layer below.
    """
    x, y = data
    out, inputs, slopes = _forward(model, layers, x, xp)
    residual = out - y
    scale = 2.0 / (y.shape[-2] * y.shape[-1])
    losses = xp.sum(residual * residual, axis=(-2, -1)) * (scale / 2.0)
    delta = residual * scale
    grads = [None] * len(layers)
    for i in range(len(layers) - 1, -1, -1):
        W = layers[i][0]
        grads[i] = (xp.matmul(xp.swapaxes(inputs[i], -1, -2), delta), xp.sum(delta, axis=-2, keepdims=True))
        if i > 0:
            delta = xp.matmul(delta, xp.swapaxes(W, -1, -2)) * slopes[i - 1]
    return losses, grads


def _step(layers, grads, lr):
    """One gradient step of every task: Φ ← Φ − α ∇L(Φ) (θ's shared arrays broadcast to per-task ones)."""
    return [(W - lr * gW, b - lr * gb) for (W, b), (gW, gb) in zip(layers, grads)]


def _adapt(model, layers, data, lr, steps, xp=onp):
    """Φ^k: ``steps`` gradient steps of every task on its own data (``xp`` as in ``_forward``)."""
    for _ in range(steps):
        layers = _step(layers, _gradient(model, layers, data, xp)[1], lr)
    return layers


def _proximal_adapt(model, layers, data, lr, steps, lam):
    """Φ ← Φ − α (∇L(Φ) + λ (Φ − θ)) for every task, ``steps`` times from Φ = θ (iMAML's inner problem)."""
    theta_layers = layers
    for _ in range(steps):
        grads = _gradient(model, layers, data, onp)[1]
        layers = [(W - lr * (gW + lam * (W - W0)), b - lr * (gb + lam * (b - b0)))
                  for (W, b), (gW, gb), (W0, b0) in zip(layers, grads, theta_layers)]
    return layers


# ----------------------------------------------------------------------------------------------------------
# The methods over a batch: each returns (mean loss, mean meta-gradient), as meta.METHODS do per task


def pretrain(model, theta, batch):
    """((1/T) Σ_t L_t(θ; D_t), (1/T) Σ_t ∇L_t(θ; D_t)) on all of each task's data."""
    losses, grads = _gradient(model, unpack(model, theta), joint(batch), onp)
    return float(onp.mean(losses)), flat_mean(grads)


def maml(model, theta, batch, lr, steps=1):
    """∇_θ (1/T) Σ_t L_te,t(U_t^k(θ)) in one reverse pass through every task's unrolled inner loop."""

    def mean_query_loss(t):
        layers = _adapt(model, unpack(model, t), batch.train, lr, steps, np)
        residual = _forward(model, layers, batch.test[0])[0] - batch.test[1]
        return np.mean(residual * residual)  # equal shapes, so the mean over tasks of the per-task means

    value, grad = autograd.value_and_grad(mean_query_loss)(theta)
    return float(value), grad


def fomaml(model, theta, batch, lr, steps=1):
    """(1/T) Σ_t ∇L_te,t(φ_t^k): the query gradient at the adapted parameters, no tracing at all."""
    layers = _adapt(model, unpack(model, theta), batch.train, lr, steps)
    losses, grads = _gradient(model, layers, batch.test, onp)
    return float(onp.mean(losses)), flat_mean(grads)


def reptile(model, theta, batch, lr, steps):
    """(1/T) Σ_t (θ − U_t^k(θ; D_t)) on all of each task's data, and the mean loss L_t(φ_t; D_t)."""
    data = joint(batch)
    layers = _adapt(model, unpack(model, theta), data, lr, steps)
    losses, _ = _gradient(model, layers, data, onp)
    return float(onp.mean(losses)), theta - flat_mean(layers)


def imaml(model, theta, batch, lr, steps, lam, cg_steps=5, cg_damping=0.0, lam_damping=0.0):
    """(1/T) Σ_t ((1 + ρ) I + H_tr,t(φ_t*)/(λ + λ_d))⁻¹ ∇L_te,t(φ_t*), ρ = λ_d = 0 unless damped (``meta.imaml_grad``):
    batched proximal inner loop, then conjugate gradient run for all tasks at once with per-task step sizes
    (``conjugate_gradient_rows``) on batched Hessian-vector products.

    The products H_t v_t for all t are one vector-Jacobian product of the per-task gradient map Φ ↦ ∇L_t(Φ_t)
    (its Jacobian is block diagonal and symmetric), traced once at φ* and reused by every CG iteration.
    """
    n_tasks = batch.train[0].shape[0]
    phi = _proximal_adapt(model, unpack(model, theta), batch.train, lr, steps, lam)
    losses, test_grads = _gradient(model, phi, batch.test, onp)

    def train_gradients(arrays):  # (W₁, b₁, W₂, …) per task → their gradients, in the same flat tuple form
        layers = [(arrays[i], arrays[i + 1]) for i in range(0, len(arrays), 2)]
        return traced_tuple(tuple(g for layer in _gradient(model, layers, batch.train)[1] for g in layer))

    phi_arrays = tuple(onp.broadcast_to(a, (n_tasks,) + a.shape[-2:]) for layer in phi for a in layer)
    hvp_arrays, _ = autograd.make_vjp(train_gradients)(phi_arrays)
    shapes = [a.shape for a in phi_arrays]
    splits = onp.cumsum([onp.prod(s[1:]) for s in shapes])[:-1]

    def system(rows):  # row t ↦ ((1 + ρ) I + H_t/(λ + λ_d)) v_t
        products = hvp_arrays(tuple(part.reshape(s) for part, s in zip(onp.split(rows, splits, axis=1), shapes)))
        return (1.0 + cg_damping) * rows + onp.concatenate([a.reshape(n_tasks, -1) for a in products],
                                                           axis=1) / (lam + lam_damping)

    solution = conjugate_gradient_rows(system, flat_rows(test_grads, n_tasks), cg_steps)
    return float(onp.mean(losses)), solution.mean(axis=0)


def conjugate_gradient_rows(matvec, b, steps, tol=1e-12):
    """``meta.conjugate_gradient`` for T independent systems A_t x_t = b_t at once (row t of b is b_t).

    Every scalar of CG (step size, residual norm, stopping test) is per row, so row t follows exactly the
    iterations the single-system CG takes on A_t; a row that has converged is frozen. ``matvec`` maps the rows
    v_t to A_t v_t. Raises NotPositiveDefiniteError when some unconverged row meets pᵀA_t p ≤ 0.
    """
    from .meta import NotPositiveDefiniteError  # here, not at the top: meta.py imports this module

    x = onp.zeros_like(b)
    r = onp.array(b, dtype=float)
    p = r.copy()
    rr = onp.einsum("td,td->t", r, r)
    threshold = tol * onp.maximum(1.0, onp.linalg.norm(b, axis=1))
    active = onp.ones(len(b), dtype=bool)
    for _ in range(steps):
        active &= onp.sqrt(rr) > threshold
        if not active.any():
            break
        Ap = matvec(p)
        curvature = onp.einsum("td,td->t", p, Ap)
        bad = active & (curvature <= 0)
        if bad.any():
            t = int(onp.argmax(bad))
            raise NotPositiveDefiniteError(
                f"conjugate gradient met, for task {t}, a direction p with p^T A p / p^T p = "
                f"{curvature[t] / (p[t] @ p[t]):.3g} <= 0: the system matrix is not positive definite "
                "(for iMAML, I + H/λ needs λ > -λ_min(H); raise λ)"
            )
        step = onp.where(active, rr / onp.where(active, curvature, 1.0), 0.0)
        x = x + step[:, None] * p
        r = r - step[:, None] * Ap
        rr_new = onp.einsum("td,td->t", r, r)
        p = onp.where(active[:, None], r + (rr_new / onp.where(active, rr, 1.0))[:, None] * p, p)
        rr = onp.where(active, rr_new, rr)
    return x


BATCHED = {"pretrain": pretrain, "maml": maml, "fomaml": fomaml, "reptile": reptile, "imaml": imaml}


def model_and_batch(loss, tasks):
    """(MLP, Batch) when the vectorised path applies to ``loss`` and ``tasks``, else None: ``loss`` must be an MLP's
    bound ``loss`` method and the tasks (x, y) arrays of equal shapes that fit the MLP's input and output sizes."""
    model = mlp_of(loss)
    batch = None if model is None else stack(tasks)
    if batch is None or any(x.shape[-1] != model.sizes[0] or y.shape[-1] != model.sizes[-1] for x, y in batch):
        return None
    return model, batch


def value_and_gradient(method, loss, theta, tasks, **hyper):
    """(mean loss, mean meta-gradient) of ``method`` over ``tasks`` by the vectorised path, or None when it does
    not apply (see ``model_and_batch``). Arguments are assumed checked (``meta.meta_value_and_gradient`` does it).

    ``joint`` concatenates a task's two sets even when they are the same data, which ``tasks.joint_data`` takes
    once; for the MLP's mean squared error that changes nothing, since a mean over the data twice is the same mean.
    """
    found = model_and_batch(loss, tasks)
    if found is None:
        return None
    model, batch = found
    return BATCHED[method](model, model.check_size(theta), batch, **hyper)


def adaptation_curve(model, theta, batch, lr, max_steps):
    """Query losses L(φ_t^s; D_te,t) of every task after s = 0..max_steps plain steps φ ← φ − α ∇L(φ; D_tr,t),
    as an array (T, max_steps + 1): ``evaluate.adaptation_curve`` for all tasks at once."""
    layers, curve = unpack(model, model.check_size(theta)), []
    for step in range(max_steps + 1):
        out = _forward(model, layers, batch.test[0], onp)[0]
        curve.append(onp.mean((out - batch.test[1]) ** 2, axis=(-2, -1)))
        if step < max_steps:
            layers = _step(layers, _gradient(model, layers, batch.train, onp)[1], lr)
    return onp.stack(curve, axis=1)
