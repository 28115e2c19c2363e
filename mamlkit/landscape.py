"""Two-parameter loss landscapes: losses, inner loops and meta-losses evaluated on a whole grid of θ at once.

The toy losses in ``tasks`` accept θ of shape (2, ...) and return one value per point, so autograd's
``elementwise_grad`` gives every grid point's own gradient in one pass (the points do not interact).
"""
import numpy as onp
from autograd import elementwise_grad

from .checks import check_rate, check_steps


def grid(extent=(0.0, 1.0, 0.0, 1.0), n=60):
    """Points of an n×n grid over extent = (x0, x1, y0, y1), as an array of shape (2, n, n).

    Built with ``meshgrid(xs, ys)`` ('xy' indexing): point [:, i, j] is (xs[j], ys[i]), the layout that
    ``contour(points[0], points[1], values)`` expects (the article's 'ij' grid transposed its pictures).
    """
    xs = onp.linspace(extent[0], extent[1], n)
    ys = onp.linspace(extent[2], extent[3], n)
    return onp.stack(onp.meshgrid(xs, ys))


def grid_adapt(loss, points, data, lr, steps):
    """U^m applied at every point of ``points`` (shape (2, ...)): φ ← φ − α ∇L(φ; data), m times."""
    lr, steps = check_rate(lr), check_steps(steps)
    grad = elementwise_grad(loss)
    points = onp.array(points, dtype=float)  # a copy: the caller's grid is never handed back to be changed
    for _ in range(steps):
        points = points - lr * grad(points, data)
    return points


def grid_meta_loss(loss, tasks, points, lr, steps):
    """Per task and in total, L_i(U_i^m(θ)) at every grid point: returns (total Σ_i L_i(U_i^m), [L_1, …, L_n])."""
    per_task = [loss(grid_adapt(loss, points, task.train, lr, steps), task.test) for task in tasks]
    return sum(per_task), per_task
