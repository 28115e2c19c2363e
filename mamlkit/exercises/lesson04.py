"""Reference answers of lesson 04's exercises (see mamlkit.exercises)."""
import numpy as np

from .. import taylor
from ..meta import reptile_grad
from ..tasks import SoftplusLine

UPDATES = ("maml", "fomaml", "reptile")
# The comparison lesson's four softplus tasks (10 points each) and the lesson's Reptile task.
LINES = [SoftplusLine(a, b, seed=seed).data
         for seed, (a, b) in enumerate([(0.0, 0.0), (1.0, 0.0), (0.2, 0.0), (0.5, 0.2)])]
REPTILE_LINE = SoftplusLine(0.5, 0.05, n=25).data


def reptile_outer_step(loss, theta, datas, lr, k, beta):
    """θ + β(mean_i φ_i − θ), each φ_i after k plain steps from the same θ on datas[i]."""
    directions = [reptile_grad(loss, theta, data, lr, k) for data in datas]  # θ − φ_i
    return theta - beta * np.mean(directions, axis=0)


def predicted_updates(avg_grad, avg_grad_inner, lr, k):
    """(MAML, FOMAML, Reptile): the expected updates to first order in α (mamlkit.taylor)."""
    updates = taylor.predicted_updates(avg_grad, avg_grad_inner, lr, k)
    return tuple(updates[name] for name in UPDATES)


def reptile_k_matching_fomaml(k_fomaml=2, largest=100):
    """The k at which Reptile weighs AvgGradInner, per unit step along AvgGrad, as FOMAML does with
    k_fomaml minibatches (the same α), read off the library's formulas."""
    one, zero = np.ones(1), np.zeros(1)

    def weight(name, k):
        with_inner = taylor.predicted_updates(one, one, 1.0, k)[name]
        along = taylor.predicted_updates(one, zero, 1.0, k)[name]
        return float(((along - with_inner) / along)[0])

    target = weight("fomaml", k_fomaml)
    return next(k for k in range(1, largest) if np.isclose(weight("reptile", k), target))


_rng = np.random.default_rng(4)
_vectors = [(_rng.normal(size=6), _rng.normal(size=6)) for _ in range(4)]  # one shape: one array

ANSWERS = {
    "reptile outer step": {
        "function": reptile_outer_step,
        "cases": [(SoftplusLine.loss, np.array([0.5, 0.9]), LINES, 0.04, 5, 0.3),
                  (SoftplusLine.loss, np.array([0.6, 0.4]), LINES[1:3], 0.02, 1, 1.0),
                  (SoftplusLine.loss, np.array([0.3, 0.85]), [REPTILE_LINE], 0.015, 3, 0.5)],
        "rtol": 1e-8, "atol": 1e-12},
    "taylor prediction": {
        "function": predicted_updates,
        "cases": [(*_vectors[0], 0.01, 1), (*_vectors[1], 0.02, 3), (*_vectors[2], 0.005, 5),
                  (*_vectors[3], 0.1, 2)],
        "rtol": 1e-10, "atol": 1e-12},
    "reptile k matching fomaml": {"value": reptile_k_matching_fomaml, "rtol": 0, "atol": 0},
}
