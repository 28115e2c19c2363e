"""Reference answers of lesson 02's exercises (see mamlkit.exercises)."""
import numpy as np

from .. import models, tasks
from ..curvature import gauss_newton_split
from ..inner import adaptation_jacobian, hvp
from ..meta import maml_grad

SEED = 0


def _quadratic():
    # the curvature explorer's quadratic with c = 0.3: its Hessian C is the same everywhere
    return tasks.Quadratic(a=0.5, b=-0.1, c=0.3)


def _small_net():
    # the lesson's 1-8-8-1 ReLU network and its task (A = 2, ψ = π/2, K = 10 + 10)
    model = models.MLP((1, 8, 8, 1), "relu")
    task = tasks.Sinusoid().task(np.random.default_rng(SEED), 2.0, np.pi / 2, 10, 10)
    return model, model.init(np.random.default_rng(SEED)), task


def _best_rate_of_the_line():
    # α minimising ‖I − αH‖ = max(|1 − αλ_min|, |1 − αλ_max|) for the line's H (λ_min > 0):
    # the two ends balance, 1 − αλ_min = αλ_max − 1
    _, _, task = _small_net()
    split = gauss_newton_split(models.MLP((1, 1)), np.array([0.7, -0.2]), task.train)
    low, high = np.linalg.eigvalsh(split.hessian)[[0, -1]]
    return 2.0 / (low + high)


def _hvp_cases():
    # check() compares all cases as one array: every case returns a vector of the same length d
    model, theta, task = _small_net()
    rng = np.random.default_rng(1)
    other = model.init(rng)
    return [(model.loss, theta, task.train, rng.standard_normal(theta.size)),
            (model.loss, other, task.test, rng.standard_normal(theta.size))]


def _meta_grad_cases():
    model, theta, task = _small_net()
    return [(model.loss, theta, task, 0.05, 1), (model.loss, theta, task, 0.05, 3),
            (model.loss, model.init(np.random.default_rng(2)), task, 0.01, 2)]


ANSWERS = {
    "k-step Jacobian of a quadratic": {
        "value": lambda: adaptation_jacobian(_quadratic().loss, np.array([0.3, 0.1]),
                                             _quadratic().data, 0.4, 3)},
    "Hessian-vector product by hand": {
        "function": hvp, "cases": _hvp_cases(), "rtol": 1e-8, "atol": 1e-10},
    "meta-gradient by Hessian-vector products": {
        "function": maml_grad, "cases": _meta_grad_cases(), "rtol": 1e-8, "atol": 1e-10},
    "one d x d matrix in MB": {
        "value": lambda: models.MLP((1, 40, 40, 1)).size ** 2 * 8 / 1e6, "rtol": 1e-3},
    "fastest contracting rate of the line": {"value": _best_rate_of_the_line, "rtol": 1e-4},
}
