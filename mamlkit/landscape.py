"""Two-parameter landscapes: inner loops and meta-losses at every point of a grid of θ at once.

The toy losses in ``tasks`` take θ of shape (2, ...) and return one value per point, so the one
inner loop (``inner.inner_loop``, which differentiates the sum of the values) moves every point.
"""
import autograd.numpy as np

from .checks import check_tasks, finite_number, whole_number
from .inner import inner_loop


def grid(extent=(0.0, 1.0, 0.0, 1.0), n=60):
    """The n×n points over extent = (x0, x1, y0, y1), shape (2, n, n), [:, i, j] = (xs[j], ys[i]):
    the 'xy' layout that ``contour(points[0], points[1], values)`` expects."""
    n = whole_number(n, "n", 2)
    return np.stack(np.meshgrid(np.linspace(*extent[:2], n), np.linspace(*extent[2:], n)))


def grid_adapt(loss, points, data, lr, steps):
    """U^k at every point of ``points`` (2, ...): k plain steps φ ← φ − α ∇L(φ; data)."""
    points = np.array(points, dtype=float)
    return inner_loop(loss, points, data, finite_number(lr), whole_number(steps))


def grid_meta_loss(loss, tasks, points, lr, steps):
    """(Σ_i L_i(U_i^k(θ)), [L_1(U_1^k(θ)), …]) at every grid point θ."""
    tasks = check_tasks(tasks)
    per_task = [loss(grid_adapt(loss, points, task.train, lr, steps), task.test) for task in tasks]
    return sum(per_task), per_task
