"""The Reptile paper's Taylor analysis (Nichol, Achiam, Schulman 2018, §5.1): what MAML, FOMAML and
Reptile follow on average, to first order in the inner learning rate α.

For one task draw k minibatches D_1 … D_k. At θ let

    ḡ_j = ∇L(θ; D_j),  H̄_j = ∇²L(θ; D_j),  AvgGrad = E[ḡ_1],
    AvgGradInner = E[H̄_2 ḡ_1] = ½ E[∂(ḡ_1·ḡ_2)/∂θ]     (two different minibatches of one task).

The inner path φ⁰ = θ, φʲ = φʲ⁻¹ − α ∇L(φʲ⁻¹; D_j) takes step j on minibatch j, and

    MAML     ∇_θ L(φᵏ⁻¹; D_k)      k − 1 steps, differentiated through, the gradient on D_k
    FOMAML   ∇L(φᵏ⁻¹; D_k)         the same end point, dφᵏ⁻¹/dθ replaced by I
    Reptile  (θ − φᵏ) / α          k steps on D_1 … D_k

have the expected values, to O(α²),

    MAML     AvgGrad − 2(k−1) α AvgGradInner
    FOMAML   AvgGrad −  (k−1) α AvgGradInner
    Reptile  k AvgGrad − ½ k(k−1) α AvgGradInner.

``mean_updates`` averages over samples and every order of each sample's minibatches and
``taylor_terms`` takes the matching sample means, so the two differ by O(α²) only, with no noise.
"""
import itertools

import autograd
import autograd.numpy as np

from .checks import check_data, finite_number, finite_vector, scalar_loss, whole_number
from .inner import inner_loop


def _check_samples(samples, minimum=1):
    """A non-empty list of samples, each a list of the same number k ≥ ``minimum`` of batches."""
    samples = [list(batches) for batches in samples]
    ks = {len(batches) for batches in samples}
    if len(ks) != 1 or min(ks) < minimum:
        raise ValueError(f"samples must each hold the same number k >= {minimum} of minibatches, "
                         f"got sizes {sorted(ks)}")
    for batch in itertools.chain(*samples):
        check_data(batch)
    return samples


def _path_end(loss, theta, batches, lr):
    """φ after one inner step on each minibatch in turn, φʲ = φʲ⁻¹ − α ∇L(φʲ⁻¹; D_j)."""
    for batch in batches:
        theta = inner_loop(loss, theta, batch, lr, 1)
    return theta


def updates(loss, theta, batches, lr):
    """{"maml", "fomaml", "reptile"}: the three updates for one order D_1 … D_k of minibatches."""
    theta, lr, (batches,) = finite_vector(theta), finite_number(lr), _check_samples([batches])
    if lr == 0:
        raise ValueError("lr must be non-zero: Reptile's update is divided by it")
    loss, (*inner, last) = scalar_loss(loss), batches
    return {"maml": autograd.grad(lambda t: loss(_path_end(loss, t, inner, lr), last))(theta),
            "fomaml": autograd.grad(loss)(_path_end(loss, theta, inner, lr), last),
            "reptile": (theta - _path_end(loss, theta, batches, lr)) / lr}


def mean_updates(loss, theta, samples, lr):
    """Each update averaged over the samples (lists of k minibatches of one task) and over all k!
    orders of each sample's minibatches: k! · len(samples) evaluations, so keep k small."""
    orders = [list(order) for batches in _check_samples(samples)
              for order in itertools.permutations(batches)]
    each = [updates(loss, theta, order, lr) for order in orders]
    return {name: np.mean([u[name] for u in each], axis=0) for name in each[0]}


def taylor_terms(loss, theta, samples):
    """(AvgGrad, AvgGradInner) as sample means: ḡ_i over samples and i, and ½ ∇_θ(ḡ_i · ḡ_j) over
    samples and pairs i < j (the mean of H̄_i ḡ_j over i ≠ j)."""
    theta, samples = finite_vector(theta), _check_samples(samples, minimum=2)
    grad = autograd.grad(scalar_loss(loss))
    # ½ ḡ_i(t)·ḡ_j(t), whose gradient is ½(H̄_i ḡ_j + H̄_j ḡ_i)
    inner_grad = autograd.grad(lambda t, one, other: 0.5 * np.dot(grad(t, one), grad(t, other)))
    avg_grad = np.mean([grad(theta, batch) for batch in itertools.chain(*samples)], axis=0)
    pairs = [pair for batches in samples for pair in itertools.combinations(batches, 2)]
    return avg_grad, np.mean([inner_grad(theta, first, second) for first, second in pairs], axis=0)


def predicted_updates(avg_grad, avg_grad_inner, lr, k):
    """The expected updates to O(α²) for k minibatches (the module docstring's formulas)."""
    lr, k = finite_number(lr), whole_number(k, "k", 1)
    g, gi = finite_vector(avg_grad, "avg_grad"), finite_vector(avg_grad_inner, "avg_grad_inner")
    if g.shape != gi.shape:
        raise ValueError(f"avg_grad and avg_grad_inner must have the same shape, got {g.shape} and "
                         f"{gi.shape}")
    return {"maml": g - 2 * (k - 1) * lr * gi, "fomaml": g - (k - 1) * lr * gi,
            "reptile": k * g - 0.5 * k * (k - 1) * lr * gi}
