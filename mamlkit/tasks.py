"""Tasks: a ``Task(train, test)`` holds a support set and a query set that a loss understands.

* ``Sinusoid``: the MAML paper's y = A·sin(x − ψ), A ~ U[0.1, 5], phase ψ ~ U[0, π], x ~ U[−5, 5].
* ``SoftplusLine``: fit softplus(a·x + b) with θ = (a, b), loss ½ Σ_j (softplus(a·x_j + b) − y_j)².
* ``Quadratic``: f(θ) = ½(θ − ½)ᵀ C (θ − ½) + gᵀθ, the curvature explorer's function.
* ``Bumps``: L(θ) = Σ_k f_k · sigmoid(−s‖θ − c_k‖²), a bumpy landscape for iMAML.

The three two-parameter losses also take a grid of points θ of shape (2, ...): one value per point.
"""
from collections import namedtuple

import autograd.numpy as np
import numpy  # plain numpy for handling data, which is never traced

from .checks import is_pair, positive_number, whole_number

Task = namedtuple("Task", ["train", "test"])
Task.__doc__ = "A task: the support set ``train`` the inner loop adapts on, the query set ``test``."


def joint_data(task):
    """All of a task's data, for pretraining and Reptile: (x, y) sets concatenated along the points.

    A task whose two sets are the same object (the toy problems' ``.task``) is that data once.
    """
    train, test = task
    if train is test or not (is_pair(train) and is_pair(test)):
        return train
    return tuple(numpy.concatenate([a, b], axis=0) for a, b in zip(train, test))


def can_stack(tasks):
    """Whether every task is (x, y) arrays of the same shapes as the first task's."""
    def shapes(task):
        return [numpy.shape(a) if hasattr(a, "shape") else None for part in task for a in part]
    first = shapes(tasks[0])
    return None not in first and all(shapes(t) == first for t in tasks)


def stack(tasks, joint=False):
    """The tasks as one Task of stacked (T, K, …) arrays; ``joint``: their joint data, twice."""
    if joint:
        data = tuple(numpy.stack(a) for a in zip(*(joint_data(t) for t in tasks)))
        return Task(data, data)
    return Task(*(tuple(numpy.stack(a) for a in zip(*part)) for part in zip(*tasks)))


class Sinusoid:
    """y = A·sin(x − ψ), A ~ U[amplitude], ψ ~ U[phase], x ~ U[x_range]; (x, y) of shape (K, 1)."""

    def __init__(self, amplitude=(0.1, 5.0), phase=(0.0, np.pi), x_range=(-5.0, 5.0)):
        self.amplitude, self.phase, self.x_range = tuple(amplitude), tuple(phase), tuple(x_range)

    @property
    def zero_error_bound(self):
        """max A², the largest query MSE of predicting y = 0: a model above it has run away."""
        return self.amplitude[1] ** 2

    @staticmethod
    def curve(x, amplitude, phase):
        """A·sin(x − ψ)."""
        return amplitude * np.sin(x - phase)

    def sample_params(self, rng):
        """(A, ψ) drawn uniformly."""
        return rng.uniform(*self.amplitude), rng.uniform(*self.phase)

    def sample_points(self, rng, amplitude, phase, k):
        """k points x ~ U[x_range] of the task (A, ψ), as (x, y) of shape (k, 1)."""
        x = rng.uniform(*self.x_range, size=(whole_number(k, "k", 1), 1))
        return x, self.curve(x, amplitude, phase)

    def task(self, rng, amplitude, phase, k_support=10, k_query=10):
        """Task(train, test) of the sinusoid (A, ψ) with fresh support and query points."""
        return Task(self.sample_points(rng, amplitude, phase, k_support),
                    self.sample_points(rng, amplitude, phase, k_query))

    def sample(self, rng, k_support=10, k_query=10):
        """A random task: (A, ψ) drawn, then its points."""
        return self.task(rng, *self.sample_params(rng), k_support, k_query)

    def sample_batch(self, rng, n_tasks, k_support=10, k_query=10):
        """``n_tasks`` random tasks."""
        n_tasks = whole_number(n_tasks, "n_tasks", 1)
        return [self.sample(rng, k_support, k_query) for _ in range(n_tasks)]

    def sampler(self, k_support=10, k_query=10):
        """``sample_tasks(rng, n)`` for ``meta_train``."""
        return lambda rng, n: self.sample_batch(rng, n, k_support, k_query)

    def heldout(self, n_tasks=600, k_support=5, k_query=100, seed=1):
        """Fixed evaluation tasks, seeded so that every method is scored on the same ones."""
        return self.sample_batch(np.random.default_rng(seed), n_tasks, k_support, k_query)

    def reference_heldout(self, n_tasks=600, k=5, seed=1):
        """The MAML paper's own test tasks: its code seeds numpy's legacy generator with 1, then
        draws A, ψ and 2K inputs per task (the first K the support set, the last K the query)."""
        rng, tasks = np.random.RandomState(seed), []
        for _ in range(n_tasks):
            x, y = self.sample_points(rng, *self.sample_params(rng), 2 * k)
            tasks.append(Task((x[:k], y[:k]), (x[k:], y[k:])))
        return tasks


def two_parameters(theta):
    """θ = (a, b) of shape (2,) or a grid (2, ...); anything else is an error, not a broadcast."""
    if np.ndim(theta) == 0 or np.shape(theta)[0] != 2:
        raise ValueError(f"theta must have shape (2,) or (2, ...), got {np.shape(theta)}")
    return theta


def softplus_line_loss(theta, data):
    """L(θ; x, y) = ½ Σ_j (softplus(a·x_j + b) − y_j)², θ = (a, b)."""
    theta, (x, y) = two_parameters(theta), data
    prediction = np.logaddexp(0.0, np.expand_dims(theta[0], -1) * x + np.expand_dims(theta[1], -1))
    return 0.5 * np.sum((prediction - y) ** 2, axis=-1)


class SoftplusLine:
    """n points x ~ U[x_range] of y = softplus(a·x + b); ``task`` uses them as both sets."""

    loss = staticmethod(softplus_line_loss)

    def __init__(self, a, b, n=10, x_range=(-3.0, 3.0), seed=0):
        self.true_theta = np.array([a, b], dtype=float)
        x = np.random.default_rng(seed).uniform(*x_range, size=whole_number(n, "n", 1))
        self.data = (x, np.logaddexp(0.0, a * x + b))
        self.task = Task(self.data, self.data)


def quadratic_loss(theta, data):
    """f(θ) = ½ (θ − ½)ᵀ C (θ − ½) + gᵀθ for data = (C, g): gradient C(θ − ½) + g, Hessian C."""
    C, g = data
    r = two_parameters(theta) - 0.5
    return 0.5 * np.einsum("i...,ij,j...->...", r, C, r) + np.tensordot(g, theta, axes=1)


class Quadratic:
    """The curvature explorer's f with C = [[a, b], [b, c]] and linear term g."""

    loss = staticmethod(quadratic_loss)

    def __init__(self, a=0.5, b=-0.1, c=0.0, g=(0.1, -0.1)):
        self.C, self.g = np.array([[a, b], [b, c]], dtype=float), np.array(g, dtype=float)
        self.data = (self.C, self.g)
        self.task = Task(self.data, self.data)


def bumps_loss(theta, data):
    """L(θ) = Σ_k f_k · sigmoid(−s ‖θ − c_k‖²) for data = (centres (n, 2), factors f (n,), s)."""
    centres, factors, sharpness = data
    theta = two_parameters(theta)
    # every bump at once along a trailing axis (about 5× faster gradients than a loop over bumps)
    centres = np.reshape(np.transpose(centres), (2,) + (1,) * (np.ndim(theta) - 1) + (-1,))
    squared = np.sum((np.expand_dims(theta, -1) - centres) ** 2, axis=0)
    return np.sum(factors / (1.0 + np.exp(sharpness * squared)), axis=-1)


class Bumps:
    """Sigmoid bumps of sharpness s: a factor < 0 is a valley, > 0 a hill."""

    loss = staticmethod(bumps_loss)

    def __init__(self, centres, factors=(-1.0, -1.5, 2.0, -1.5), sharpness=10.0):
        centres, factors = np.array(centres, dtype=float), np.array(factors, dtype=float)
        if centres.shape != (len(factors), 2):
            raise ValueError(f"centres must have shape ({len(factors)}, 2), got {centres.shape}")
        self.data = (centres, factors, positive_number(sharpness, "sharpness"))
        self.task = Task(self.data, self.data)
