"""The Reptile paper's Taylor analysis (Nichol, Achiam, Schulman 2018, §5.1): what MAML, FOMAML and Reptile
follow on average, to first order in the inner learning rate α.

Setting: for one task draw k independent minibatches D_1 … D_k, with losses L_i(θ) = L(θ; D_i). At θ let

    ḡ_i = ∇L_i(θ),  H̄_i = ∇²L_i(θ),
    AvgGrad      = E[ḡ_1],
    AvgGradInner = E[H̄_2 ḡ_1] = ½ E[∂(ḡ_1·ḡ_2)/∂θ]     (two *different* minibatches of the same task).

The inner path φ_1 = θ, φ_{i+1} = φ_i − α ∇L_i(φ_i) takes step i on minibatch i. The three updates are

    MAML     ∇_θ L_k(φ_k)              k − 1 steps on D_1 … D_{k−1}, differentiated through, gradient on D_k
    FOMAML   ∇L_k(φ_k)                 the same end point, the Jacobian dφ_k/dθ replaced by I
    Reptile  (θ − φ_{k+1}) / α         k steps on D_1 … D_k

and expanding to O(α²) gives the expected updates

    MAML     AvgGrad − 2(k−1) α AvgGradInner
    FOMAML   AvgGrad −  (k−1) α AvgGradInner
    Reptile  k AvgGrad − ½ k(k−1) α AvgGradInner.

The expectation is over tasks and over which minibatch comes when. ``mean_updates`` averages the updates over
samples and over every order of each sample's minibatches, and ``taylor_terms`` takes the matching sample means,
so on a fixed set of samples the formulas and the averages differ by O(α²) only, with no sampling noise.
"""
import itertools

import autograd
import autograd.numpy as np
import numpy as onp

from .checks import check_data, check_rate, check_steps, check_theta, scalar_loss

METHODS = ("maml", "fomaml", "reptile")


def _check_samples(samples, minimum=1):
    """Each sample is a list of k ≥ ``minimum`` minibatches of one task; all samples have the same k."""
    samples = [list(batches) for batches in samples]
    if not samples:
        raise ValueError("samples must hold at least one list of minibatches")
    ks = {len(batches) for batches in samples}
    if len(ks) != 1 or min(ks) < minimum:
        raise ValueError(
            f"every sample must hold the same number k >= {minimum} of minibatches, got sizes {sorted(ks)}"
        )
    for batches in samples:
        for batch in batches:
            check_data(batch)
    return samples, ks.pop()


def _path(loss, theta, batches, lr):
    """[φ_1 = θ, φ_2, …]: step i is φ_{i+1} = φ_i − α ∇L(φ_i; D_i), one minibatch per step (traceable)."""
    grad = autograd.grad(loss)
    path = [theta]
    for batch in batches:
        path.append(path[-1] - lr * grad(path[-1], batch))
    return path


def updates(loss, theta, batches, lr):
    """The three updates for one ordering D_1 … D_k of a task's minibatches, as a dict of vectors:

    maml = ∇_θ L_k(φ_k), fomaml = ∇L_k(φ_k) (φ_k after k − 1 steps on D_1 … D_{k−1}),
    reptile = (θ − φ_{k+1}) / α (k steps on D_1 … D_k).
    """
    theta, lr = check_theta(theta), check_rate(lr)
    (batches,), _ = _check_samples([batches])
    if lr == 0:
        raise ValueError("lr must be non-zero: Reptile's update is divided by it")
    loss = scalar_loss(loss)
    *inner, last = batches
    grad = autograd.grad(loss)
    phi_k = _path(loss, theta, inner, lr)[-1]
    return {
        "maml": autograd.grad(lambda t: loss(_path(loss, t, inner, lr)[-1], last))(theta),
        "fomaml": grad(phi_k, last),
        "reptile": (theta - _path(loss, theta, batches, lr)[-1]) / lr,
    }


def mean_updates(loss, theta, samples, lr):
    """Each method's update averaged over the samples and over all k! orders of each sample's minibatches.

    ``samples`` is a list of samples, each a list of k minibatches (data) of one task. Cost: k! · len(samples)
    evaluations of ``updates``, so keep k small (2–4).
    """
    samples, _ = _check_samples(samples)
    totals, count = {name: 0.0 for name in METHODS}, 0
    for batches in samples:
        for order in itertools.permutations(batches):
            for name, value in updates(loss, theta, list(order), lr).items():
                totals[name] = totals[name] + value
            count += 1
    return {name: total / count for name, total in totals.items()}


def taylor_terms(loss, theta, samples):
    """(AvgGrad, AvgGradInner) as sample means over the given samples:

    AvgGrad = mean over samples and i of ḡ_i,
    AvgGradInner = mean over samples and pairs i < j of ½ ∇_θ(ḡ_i · ḡ_j)  (= the mean of H̄_i ḡ_j over i ≠ j).
    """
    theta = check_theta(theta)
    samples, _ = _check_samples(samples, minimum=2)  # AvgGradInner needs two different minibatches
    grad = autograd.grad(scalar_loss(loss))

    def half_grad_dot(t, first, second):  # ½ ḡ_i(t)·ḡ_j(t), whose gradient is ½(H̄_i ḡ_j + H̄_j ḡ_i)
        return 0.5 * np.dot(grad(t, first), grad(t, second))

    inner_grad = autograd.grad(half_grad_dot)
    avg_grad = onp.mean([grad(theta, batch) for batches in samples for batch in batches], axis=0)
    pairs = [pair for batches in samples for pair in itertools.combinations(batches, 2)]
    avg_grad_inner = onp.mean([inner_grad(theta, first, second) for first, second in pairs], axis=0)
    return avg_grad, avg_grad_inner


def predicted_updates(avg_grad, avg_grad_inner, lr, k):
    """The expected updates to O(α²) for k minibatches (see the module docstring), as a dict of vectors."""
    lr = check_rate(lr)
    k = check_steps(k, "k", minimum=1)
    avg_grad, avg_grad_inner = check_theta(avg_grad, "avg_grad"), check_theta(avg_grad_inner, "avg_grad_inner")
    if avg_grad.shape != avg_grad_inner.shape:
        raise ValueError(f"avg_grad and avg_grad_inner must have the same shape, got {avg_grad.shape} and "
                         f"{avg_grad_inner.shape}")
    return {
        "maml": avg_grad - 2 * (k - 1) * lr * avg_grad_inner,
        "fomaml": avg_grad - (k - 1) * lr * avg_grad_inner,
        "reptile": k * avg_grad - 0.5 * k * (k - 1) * lr * avg_grad_inner,
    }
