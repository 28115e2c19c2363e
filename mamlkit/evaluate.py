"""Scoring an initialisation the way the MAML paper does: adapt on each held-out task's support set with
plain gradient steps (the same K points every step) and measure the query-set loss after each step."""
import autograd
import numpy as onp

from . import batched
from .checks import check_rate, check_steps, check_tasks, check_theta, scalar_loss


def adaptation_curve(loss, theta, tasks, lr, max_steps=10):
    """Query loss L(φ^s; D_te) after s = 0..max_steps inner steps, for every task: array (n_tasks, max_steps + 1).

    A task whose fine-tuning overflowed (its loss came out as nan, from inf − inf) scores inf: infinitely bad, so
    that means, medians and comparisons rank it last instead of propagating nan.
    """
    theta, lr, max_steps = check_theta(theta), check_rate(lr), check_steps(max_steps, "max_steps")
    tasks = check_tasks(tasks)
    found = batched.model_and_batch(loss, tasks)
    if found is not None:  # an MLP: every task at once (tested equal to the loop below, the reference)
        model, batch = found
        curves = batched.adaptation_curve(model, theta, batch, lr, max_steps)
    else:
        grad = autograd.grad(scalar_loss(loss))
        curves = []
        for train, test in tasks:
            phi, curve = theta, [loss(theta, test)]
            for _ in range(max_steps):
                phi = phi - lr * grad(phi, train)
                curve.append(loss(phi, test))
            curves.append(curve)
    return onp.nan_to_num(onp.array(curves, dtype=float), nan=onp.inf, posinf=onp.inf, neginf=-onp.inf)


def mean_ci95(values, axis=0):
    """(mean, 95% half-width 1.96·std/√n) along ``axis``, as the MAML paper reports its sinusoid MSE."""
    values = onp.asarray(values, dtype=float)
    if values.ndim == 0 or values.shape[axis] == 0:
        raise ValueError(f"values must hold at least one number along axis {axis}, got shape {values.shape}")
    n = values.shape[axis]
    return values.mean(axis=axis), 1.96 * values.std(axis=axis) / onp.sqrt(n)


def check_curves(curves):
    """Curves as ``adaptation_curve`` returns them: numbers of shape (n_tasks, steps + 1)."""
    curves = onp.asarray(curves)
    if curves.ndim != 2 or curves.shape[1] == 0 or curves.dtype.kind not in "fiu":
        raise ValueError(f"curves must be numbers of shape (n_tasks, steps + 1), got shape {curves.shape} of "
                         f"{curves.dtype}")
    return curves


def runaway(curves, limit):
    """Indices of the tasks whose error after the last step of ``curves`` (from ``adaptation_curve``) is above
    ``limit``: fine-tuning that ran away. For sinusoids use ``Sinusoid.zero_error_bound``, which predicting y = 0
    never exceeds."""
    curves, limit = check_curves(curves), check_rate(limit, "limit")
    return onp.flatnonzero(curves[:, -1] > limit)


def spikes(curves, limit):
    """Indices of the tasks whose error is above ``limit`` at some step but back at or below it after the last."""
    curves, limit = check_curves(curves), check_rate(limit, "limit")
    return onp.flatnonzero((curves > limit).any(axis=1) & (curves[:, -1] <= limit))
