"""Shared test helpers: central finite differences, a few small non-quadratic problems (all
float64), and the MLP's mean squared error written in plain autograd.

Helpers are handed to tests as fixtures (``fd``, ``problem``, ``problems``, ``plain_mse``) rather
than imported, since several conftest.py files may share the module name ``conftest``.

A "problem" is a loss, a point θ, a Task whose support and query sets differ, and an inner learning
rate: the softplus line fit and the sigmoid bumps of the landscape figures (2 parameters), and a
1-8-8-1 tanh and ReLU MLP on a sinusoid task (97 parameters). The MLP checks probe a few random
directions, not all 97 axes.
"""
from collections import namedtuple
from types import SimpleNamespace

import autograd.numpy
import numpy as np
import pytest

from mamlkit import Task, models, tasks

EPS = 1e-5

Problem = namedtuple("Problem", ["loss", "theta", "task", "lr"])


def central_difference(f, x, directions, eps=EPS):
    """Directional derivatives (f(x + εv) − f(x − εv)) / 2ε, one row per direction v."""
    return np.array([(np.asarray(f(x + eps * v)) - np.asarray(f(x - eps * v))) / (2 * eps)
                     for v in directions])


def probe_directions(d, seed=0, n_random=3):
    """Every coordinate axis when d is small (a full finite-difference Jacobian), else a few random
    unit vectors."""
    if d <= 4:
        return np.eye(d)
    v = np.random.default_rng(seed).normal(size=(n_random, d))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def relative_error(a, b):
    """‖a − b‖ / ‖b‖ (‖b‖ floored at 1e-300 so that an exact zero reference still compares)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


def plain_mse_of(model):
    """L(θ; x, y) = mean (M(x; θ) − y)² differentiated by autograd through ``model.apply``, task by
    task: the reference for the hand-written backward pass of ``MLP.loss`` (no ``vectorised``)."""
    def loss(theta, data):
        x, y = data
        return autograd.numpy.mean((model.apply(theta, x) - y) ** 2)

    return loss


def _problems():
    bumps_train = tasks.Bumps([(0.2, 0.2), (0.8, 0.3), (0.5, 0.5), (0.3, 0.8)]).data
    bumps_test = tasks.Bumps([(0.3, 0.1), (0.7, 0.4), (0.6, 0.6), (0.2, 0.9)]).data
    sine = tasks.Sinusoid().sample(np.random.default_rng(1), 5, 5)
    lines = Task(tasks.SoftplusLine(0.3, 0.05, seed=0).data,
                 tasks.SoftplusLine(0.3, 0.05, seed=1).data)
    out = {
        "softplus": Problem(tasks.softplus_line_loss, np.array([0.35, 0.55]), lines, 0.04),
        "bumps": Problem(tasks.bumps_loss, np.array([0.45, 0.6]), Task(bumps_train, bumps_test),
                         0.05),
    }
    for activation in ("tanh", "relu"):
        mlp = models.MLP((1, 8, 8, 1), activation)
        out[f"mlp_{activation}"] = Problem(mlp.loss, mlp.init(np.random.default_rng(0)), sine, 0.05)
    return out


PROBLEMS = _problems()


@pytest.fixture(params=sorted(PROBLEMS))
def problem(request):
    """Each non-quadratic problem in turn."""
    return PROBLEMS[request.param]


@pytest.fixture
def fd():
    """The finite-difference helpers: fd.diff(f, x, directions), fd.directions(d), fd.rel(a, b)."""
    return SimpleNamespace(diff=central_difference, directions=probe_directions, rel=relative_error)


@pytest.fixture
def problems():
    """All problems by name, for tests that need a particular one."""
    return PROBLEMS


@pytest.fixture
def plain_mse():
    """plain_mse(model): the MLP's mean squared error in plain autograd (see ``plain_mse_of``)."""
    return plain_mse_of
