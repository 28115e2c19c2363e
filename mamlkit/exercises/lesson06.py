"""Reference answers of lesson 06's exercises (see mamlkit.exercises).

Computed from the library when a check asks for them: the comparison's four softplus tasks, and
the shipped sinusoid models scored on the benchmark's 600 five-shot test tasks.
"""
from functools import lru_cache

import numpy as np

from .. import evaluate, tasks, zoo
from ..meta import meta_gradient
from ..tasks import SoftplusLine

# The comparison lesson's tasks (mamlkit.demos.comparison.comparison_tasks, without its widgets).
TRUE_PARAMS = ((0.0, 0.0), (1.0, 0.0), (0.2, 0.0), (0.5, 0.2))
TOY_TASKS = [SoftplusLine(a, b, n=10, seed=i).task for i, (a, b) in enumerate(TRUE_PARAMS)]
LOSS = SoftplusLine.loss
THETA = np.array([0.5, 0.9])


def reptile_update(theta, task_list, lr, steps, beta):
    """Batched Reptile: θ + β (mean φ_i − θ), each φ_i = k steps from θ on task i's data."""
    return theta - beta * meta_gradient("reptile", LOSS, theta, task_list, lr=lr, steps=steps)


def imaml_large_lambda():
    """iMAML's mean signal when λ pins φ* to θ (α λ = 1 keeps the proximal loop stable)."""
    return meta_gradient("imaml", LOSS, THETA, TOY_TASKS, lr=1e-4, steps=5, lam=1e4)


@lru_cache(maxsize=1)
def one_step_errors():
    """(MAML, FOMAML) query MSE after one step of rate 0.01 on the benchmark's 600 test tasks."""
    test_tasks = tasks.Sinusoid().heldout(n_tasks=600, k_support=5, k_query=100, seed=1)
    curves = []
    for name in ("maml", "fomaml"):
        model, theta, _info = zoo.load(name)
        curves.append(evaluate.adaptation_curve(model.loss, theta, test_tasks, 0.01, 1)[:, 1])
    return tuple(curves)


def maml_wins_fraction():
    """The fraction of the 600 tasks on which MAML's one-step error is below FOMAML's."""
    maml, fomaml = one_step_errors()
    return float(np.mean(maml < fomaml))


ANSWERS = {
    "reptile-update": {
        "function": reptile_update,
        "cases": [(THETA, TOY_TASKS, 0.04, 5, 0.3),
                  (np.array([0.2, 0.4]), TOY_TASKS, 0.02, 3, 0.5),
                  (np.array([1.0, 0.1]), TOY_TASKS[:2], 0.05, 1, 1.0)],
        "rtol": 1e-10, "atol": 1e-12},
    "imaml-large-lambda": {"value": imaml_large_lambda, "rtol": 1e-2},
    "maml-wins-fraction": {"value": maml_wins_fraction, "atol": 1e-9},
}
