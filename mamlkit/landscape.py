"""Two-parameter loss landscapes: losses, inner loops and meta-losses evaluated on a whole grid of θ at once.

The toy losses in ``tasks`` accept θ of shape (2, ...) and return one value per point, so autograd's
``elementwise_grad`` gives every grid point's own gradient in one pass (the points do not interact).
"""
import itertools
import numbers

import numpy as onp
from autograd import elementwise_grad

from .checks import check_rate, check_steps, check_tasks


def grid(extent=(0.0, 1.0, 0.0, 1.0), n=60):
    """Points of an n×n grid over extent = (x0, x1, y0, y1), as an array of shape (2, n, n).

    Built with ``meshgrid(xs, ys)`` ('xy' indexing): point [:, i, j] is (xs[j], ys[i]), the layout that
    ``contour(points[0], points[1], values)`` expects (the article's 'ij' grid transposed its pictures).
    """
    n = check_steps(n, "n", minimum=2)
    if onp.shape(extent) != (4,) or not onp.all(onp.isfinite(onp.asarray(extent, dtype=float))):
        raise ValueError(f"extent must be 4 finite numbers (x0, x1, y0, y1), got {extent!r}")
    xs = onp.linspace(extent[0], extent[1], n)
    ys = onp.linspace(extent[2], extent[3], n)
    return onp.stack(onp.meshgrid(xs, ys))


def grid_inner_path(loss, points, data, lr, lam=0.0):
    """Yield φ⁰ = θ, φ¹, φ², … at every point θ of ``points`` (shape (2, ...)): φ ← φ − α (∇L(φ; data) + λ(φ − θ)).

    λ = 0 gives plain fine-tuning steps U; λ > 0 iMAML's proximal inner loop (``meta.proximal_adapt``). A
    generator, so that pictures for several step counts share the iterates instead of restarting from θ.
    """
    lr = check_rate(lr)
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real) or not (lam == 0 or 0 < lam < onp.inf):
        raise ValueError(f"lam must be 0 (plain steps) or a finite number > 0, got {lam!r}")
    return _grid_path(loss, points, data, lr, lam)  # checked now: a generator's own body runs only when iterated


def _grid_path(loss, points, data, lr, lam):
    grad = elementwise_grad(loss)
    phi = onp.array(points, dtype=float)  # a copy: the caller's grid is never handed back to be changed
    while True:
        yield phi
        phi = phi - lr * (grad(phi, data) + lam * (phi - points))


def grid_adapt(loss, points, data, lr, steps):
    """U^m applied at every point of ``points`` (shape (2, ...)): φ ← φ − α ∇L(φ; data), m times."""
    lr, steps = check_rate(lr), check_steps(steps)
    return next(itertools.islice(grid_inner_path(loss, points, data, lr), steps, None))


def grid_meta_loss(loss, tasks, points, lr, steps):
    """Per task and in total, L_i(U_i^m(θ)) at every grid point: returns (total Σ_i L_i(U_i^m), [L_1, …, L_n])."""
    per_task = [loss(grid_adapt(loss, points, task.train, lr, steps), task.test) for task in check_tasks(tasks)]
    return sum(per_task), per_task
