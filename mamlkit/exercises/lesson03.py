"""Reference answers of lesson 03's exercises (see mamlkit.exercises)."""
import autograd
import numpy as np

from .. import maml_grad, models, tasks
from ..meta import fomaml_grad

QUADRATIC = tasks.Quadratic(0.4, -0.1, 0.0)  # the explorer's defaults, C = [[c₁₁, c₁₂], [c₁₂, c₂₂]]
THETA = np.array([0.3, 0.1])
MODEL = models.MLP((1, 40, 40, 1), "relu")
SINES = [tasks.Sinusoid().task(np.random.default_rng(seed), amplitude, phase, 10, 10)
         for seed, amplitude, phase in ((3, 3.0, 1.0), (4, 0.5, 2.5))]


def true_gradient():
    """∇f(θ) by autograd for C = [[0.2, 0.35], [0.35, −0.4]] at θ = (0.8, 0.15)."""
    C = np.array([[0.2, 0.35], [0.35, -0.4]])
    return autograd.grad(tasks.quadratic_loss)(np.array([0.8, 0.15]), (C, QUADRATIC.g))


ANSWERS = {
    "true gradient by hand": {"value": true_gradient, "rtol": 1e-9, "atol": 1e-12},
    "one-step MAML on the quadratic": {
        "value": lambda: maml_grad(QUADRATIC.loss, THETA, QUADRATIC.task, 0.5, 1),
        "rtol": 1e-9, "atol": 1e-12},
    "fomaml by hand": {
        "function": fomaml_grad,
        # two sinusoid tasks (their support and query sets differ, unlike the quadratic's)
        "cases": [(MODEL.loss, MODEL.init(np.random.default_rng(0)), SINES[0], 0.01, 5),
                  (MODEL.loss, MODEL.init(np.random.default_rng(1)), SINES[1], 0.02, 2)],
        "rtol": 1e-6, "atol": 1e-9},
}
