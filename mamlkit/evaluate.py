"""Scoring an initialisation as the MAML paper does: plain gradient steps on each held-out task's
support set (the same K points every step), and the query loss after each step."""
import autograd.numpy as np

from .checks import check_tasks, finite_number, finite_vector, scalar_loss, whole_number
from .inner import inner_loop
from .tasks import can_stack, stack


def adaptation_curve(loss, theta, tasks, lr, max_steps=10):
    """L(φˢ; D_te) after s = 0..max_steps steps on D_tr, per task: array (n_tasks, max_steps + 1).

    A vectorised loss (``loss.vectorised``) runs all tasks at once. A task whose fine-tuning
    overflowed (a nan loss, from inf − inf) scores inf, so that means and medians rank it last.
    """
    theta, tasks = finite_vector(theta), check_tasks(tasks)
    lr, max_steps = finite_number(lr), whole_number(max_steps, "max_steps")
    with np.errstate(over="ignore", invalid="ignore"):  # a runaway task overflows: it scores inf
        if getattr(loss, "vectorised", False) and can_stack(tasks):
            (x, y), test = stack(tasks)
            thetas = np.repeat(theta[None], len(tasks), 0)
            path = inner_loop(loss, thetas, (x, y), lr, max_steps, path=True)
            curves = np.stack([loss(phi, test) for phi in path], axis=1)
        else:
            loss = scalar_loss(loss)
            curves = [[loss(phi, test) for phi in inner_loop(loss, theta, train, lr, max_steps,
                                                               path=True)] for train, test in tasks]
    return np.nan_to_num(np.array(curves, dtype=float), nan=np.inf, posinf=np.inf, neginf=-np.inf)


def mean_ci95(values, axis=0):
    """(mean, 95% half-width 1.96·std/√n) along ``axis``, as the MAML paper reports its MSE."""
    values = np.asarray(values, dtype=float)
    return values.mean(axis=axis), 1.96 * values.std(axis=axis) / np.sqrt(values.shape[axis])


def runaway(curves, limit):
    """The tasks whose error after the last step is above ``limit``: fine-tuning that ran away (for
    sinusoids ``Sinusoid.zero_error_bound``, which predicting y = 0 never exceeds)."""
    return np.flatnonzero(np.asarray(curves)[:, -1] > limit)


def spikes(curves, limit):
    """The tasks whose error is above ``limit`` at some step but not after the last."""
    curves = np.asarray(curves)
    return np.flatnonzero((curves > limit).any(axis=1) & (curves[:, -1] <= limit))
