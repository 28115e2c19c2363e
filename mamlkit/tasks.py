"""Tasks: a ``Task(train, test)`` holds a support set and a query set that a loss understands.

Families here:

* ``Sinusoid``: the MAML paper's regression tasks y = A·sin(x − φ), A ~ U[0.1, 5], φ ~ U[0, π], x ~ U[−5, 5].
* ``SoftplusLine``: fit g(x) = softplus(a·x + b) with θ = (a, b), loss ½ Σ_j (g(x_j) − y_j)²; a 2-D landscape.
* ``Quadratic``: f(θ) = ½(θ − ½)ᵀ C (θ − ½) + gᵀθ, the curvature explorer's function.
* ``Bumps``: L(θ) = Σ_k f_k · sigmoid(−s‖θ − c_k‖²), a bumpy 2-D landscape for iMAML.

The three toy losses also accept a stack of points θ of shape (2, ...), for whole contour grids at once.
"""
from collections import namedtuple

import autograd.numpy as np
import numpy as onp

from .checks import (
    check_interval,
    check_positive,
    check_rate,
    check_rng,
    check_seed,
    check_steps,
    check_theta,
    is_pair,
)

Task = namedtuple("Task", ["train", "test"])
Task.__doc__ = "A task: ``train`` is the support set the inner loop adapts on, ``test`` the query set it is scored on."


def joint_data(task):
    """All of a task's data, for methods with no train/test split (pretraining, Reptile).

    For (x, y) pairs the two sets are concatenated along the first axis; other data is taken from ``train``.
    A task whose support and query set are the same object (the toy problems' ``.task``, or Reptile on plain
    data) is that data once: concatenating it with itself would double a summed loss, and would corrupt data
    that is a pair but not (x, y), such as a Quadratic's (C, g).
    """
    train, test = task
    if train is test:
        return train
    if is_pair(train) and is_pair(test):
        return tuple(onp.concatenate([a, b], axis=0) for a, b in zip(train, test))
    return train


# ----------------------------------------------------------------------------------------------------------
# Sinusoids (MAML paper §5.1)


class Sinusoid:
    """y = A·sin(x − φ) with A ~ U[amplitude], φ ~ U[phase], x ~ U[x_range]; data are (x, y) of shape (K, 1)."""

    def __init__(self, amplitude=(0.1, 5.0), phase=(0.0, onp.pi), x_range=(-5.0, 5.0)):
        self.amplitude, self.phase = check_interval(amplitude, "amplitude"), check_interval(phase, "phase")
        self.x_range = check_interval(x_range, "x_range")

    @property
    def zero_error_bound(self):
        """max A²: no task's query MSE for the prediction y = 0 (the mean of A² sin²(x − φ)) can exceed it, so a
        fine-tuned model whose error is above it has done worse than predicting nothing: its fine-tuning ran away."""
        return self.amplitude[1] ** 2

    @staticmethod
    def curve(x, amplitude, phase):
        """The task's true function A·sin(x − φ)."""
        return amplitude * onp.sin(x - phase)

    def sample_params(self, rng):
        """(A, φ) drawn uniformly from the family's ranges."""
        return check_rng(rng).uniform(*self.amplitude), rng.uniform(*self.phase)

    def sample_points(self, rng, amplitude, phase, k):
        """k points x ~ U[x_range] of the task (A, φ), as (x, y) arrays of shape (k, 1)."""
        k = check_steps(k, "k", minimum=1)
        x = check_rng(rng).uniform(*self.x_range, size=(k, 1))
        return x, self.curve(x, amplitude, phase)

    def task(self, rng, amplitude, phase, k_support=10, k_query=10):
        """Task(train, test) of one given sinusoid, with fresh support and query points."""
        k_support, k_query = check_steps(k_support, "k_support", 1), check_steps(k_query, "k_query", 1)
        return Task(self.sample_points(rng, amplitude, phase, k_support),
                    self.sample_points(rng, amplitude, phase, k_query))

    def sample(self, rng, k_support=10, k_query=10):
        """A random task of the family: (A, φ) drawn, then k_support + k_query points."""
        return self.task(rng, *self.sample_params(rng), k_support, k_query)

    def sample_batch(self, rng, n_tasks, k_support=10, k_query=10):
        """A list of ``n_tasks`` random tasks."""
        n_tasks = check_steps(n_tasks, "n_tasks", minimum=1)
        return [self.sample(rng, k_support, k_query) for _ in range(n_tasks)]

    def sampler(self, k_support=10, k_query=10):
        """``sample_tasks(rng, n)`` for ``meta_train``: n random tasks of k_support + k_query points."""
        return lambda rng, n: self.sample_batch(rng, n, k_support, k_query)

    def heldout(self, n_tasks=600, k_support=5, k_query=100, seed=1):
        """A fixed set of evaluation tasks (seeded, so every method is scored on the same ones)."""
        return self.sample_batch(onp.random.default_rng(check_seed(seed)), n_tasks, k_support, k_query)

    def reference_heldout(self, n_tasks=600, k=5, seed=1):
        """The MAML paper's own test tasks, value for value (``heldout`` draws other tasks from the same family).

        The paper's code seeds numpy's global generator with 1 and then, task after task, draws A, then φ, then 2K
        inputs x; the first K points are the support set and the last K the query set. numpy's legacy
        ``RandomState`` still produces that stream, so the same seed gives the same tasks.
        """
        n_tasks, k = check_steps(n_tasks, "n_tasks", minimum=1), check_steps(k, "k", minimum=1)
        rng = onp.random.RandomState(check_seed(seed))
        heldout = []
        for _ in range(n_tasks):
            x, y = self.sample_points(rng, *self.sample_params(rng), 2 * k)
            heldout.append(Task((x[:k], y[:k]), (x[k:], y[k:])))
        return heldout


# ----------------------------------------------------------------------------------------------------------
# Two-parameter toy problems for the loss-landscape figures


def two_parameters(theta):
    """The toy losses take θ = (a, b) of shape (2,), or a stack of points of shape (2, ...): anything else is an
    error here, not a silently ignored third entry or a broadcast."""
    if onp.ndim(theta) == 0 or onp.shape(theta)[0] != 2:
        raise ValueError(f"theta must hold the 2 parameters, shape (2,) or (2, ...) for a grid, got shape "
                         f"{onp.shape(theta)}")
    return theta


def softplus_line_loss(theta, data):
    """L(θ; x, y) = ½ Σ_j (softplus(a·x_j + b) − y_j)² with θ = (a, b).

    θ may also be a stack of points of shape (2, ...) (a contour grid): the loss is then one value per point.
    """
    theta = two_parameters(theta)
    x, y = data
    pred = np.logaddexp(0.0, np.expand_dims(theta[0], -1) * x + np.expand_dims(theta[1], -1))
    return 0.5 * np.sum((pred - y) ** 2, axis=-1)


class SoftplusLine:
    """A softplus line-fit task with true parameters (a, b): y = softplus(a·x + b) at n points x ~ U[x_range].

    ``data`` is the (x, y) pair; ``task`` uses it as both support and query set, as the landscape figures do.
    """

    loss = staticmethod(softplus_line_loss)

    def __init__(self, a, b, n=10, x_range=(-3.0, 3.0), seed=0):
        self.true_theta = onp.array([check_rate(a, "a"), check_rate(b, "b")])
        n = check_steps(n, "n", minimum=1)
        x = onp.random.default_rng(check_seed(seed)).uniform(*check_interval(x_range, "x_range"), size=n)
        self.data = (x, onp.logaddexp(0.0, a * x + b))
        self.task = Task(self.data, self.data)


def quadratic_loss(theta, data):
    """f(θ) = ½ (θ − ½)ᵀ C (θ − ½) + gᵀθ for data = (C, g); its gradient is C(θ − ½) + g, its Hessian C.

    θ may also be a stack of points of shape (2, ...): one value per point.
    """
    C, g = data
    r = two_parameters(theta) - 0.5
    return 0.5 * np.einsum("i...,ij,j...->...", r, C, r) + np.tensordot(g, theta, axes=1)


class Quadratic:
    """The curvature explorer's function f(θ) = ½(θ−½)ᵀC(θ−½) + gᵀθ with C = [[a, b], [b, c]]."""

    loss = staticmethod(quadratic_loss)

    def __init__(self, a=0.5, b=-0.1, c=0.0, g=(0.1, -0.1)):
        a, b, c = check_rate(a, "a"), check_rate(b, "b"), check_rate(c, "c")
        self.C = onp.array([[a, b], [b, c]])
        self.g = check_theta(g, "g")  # a finite vector of floats, then of the right length
        if self.g.shape != (2,):
            raise ValueError(f"g must be 2 finite numbers, got {g!r}")
        self.data = (self.C, self.g)
        self.task = Task(self.data, self.data)


def bumps_loss(theta, data):
    """L(θ) = Σ_k f_k · sigmoid(−s ‖θ − c_k‖²) for data = (centres c (n, 2), factors f (n,), sharpness s).

    θ may also be a stack of points of shape (2, ...): one value per point.
    """
    centres, factors, sharpness = data
    theta = two_parameters(theta)
    # All bumps at once along a trailing axis: a few array operations instead of a Python loop over bumps,
    # which makes autograd's gradients about 5× faster (the iMAML widget runs dozens of them per redraw).
    points = np.expand_dims(theta, -1)  # (2, ..., 1)
    centres = onp.reshape(onp.transpose(centres), (2,) + (1,) * (onp.ndim(theta) - 1) + (-1,))  # (2, 1.., n)
    sq = np.sum((points - centres) ** 2, axis=0)
    return np.sum(factors / (1.0 + np.exp(sharpness * sq)), axis=-1)


class Bumps:
    """A landscape of sigmoid bumps: factor < 0 is a valley, > 0 a hill. The article uses 4 bumps, s = 10."""

    loss = staticmethod(bumps_loss)

    def __init__(self, centres, factors=(-1.0, -1.5, 2.0, -1.5), sharpness=10.0):
        centres = onp.array(centres, dtype=float)
        factors = onp.array(factors, dtype=float)
        if centres.shape != (len(factors), 2):
            raise ValueError(f"centres must have shape ({len(factors)}, 2) to match factors, got {centres.shape}")
        self.data = (centres, factors, check_positive(sharpness, "sharpness"))
        self.task = Task(self.data, self.data)
