"""meta_train: the outer loop on sinusoids (learning, reproducibility, the optimiser update,
divergence)."""
import autograd.numpy
import numpy as np
import pytest

import mamlkit as mk
from mamlkit import Task, models, tasks

FAMILY = tasks.Sinusoid()
MODEL = models.MLP((1, 20, 20, 1), "relu")
THETA0 = MODEL.init(np.random.default_rng(0))
INNER = {"lr": 0.01, "steps": 1}
HYPER = {"pretrain": {}, "maml": INNER, "fomaml": INNER, "reptile": {"lr": 0.01, "steps": 3},
         "imaml": {"lr": 0.01, "steps": 3, "lam": 20.0, "cg_steps": 3}}


def train(method="maml", iterations=5, meta_batch=2, meta_lr=1e-2, optimizer="adam", seed=0,
          **hyper):
    return mk.meta_train(method, MODEL.loss, THETA0, FAMILY.sampler(10, 10), iterations, meta_batch,
                         meta_lr, optimizer=optimizer, seed=seed, progress=False,
                         **(hyper or HYPER[method]))


def test_maml_training_lowers_the_meta_loss():
    theta, history = train(iterations=100, meta_batch=5)
    assert len(history.loss) == len(history.time) == 100
    assert np.all(np.diff(history.time) >= 0)
    assert np.mean(history.loss[-20:]) < 0.95 * np.mean(history.loss[:20])
    # and on held-out tasks the trained initialisation adapts better than the one it started from
    heldout = FAMILY.heldout(20, 10, 10)
    before = mk.meta_value_and_gradient("maml", MODEL.loss, THETA0, heldout, **INNER)[0]
    after = mk.meta_value_and_gradient("maml", MODEL.loss, theta, heldout, **INNER)[0]
    assert after < 0.95 * before


def test_same_seed_same_result_other_seed_other_result():
    theta_a, history_a = train(seed=3)
    theta_b, history_b = train(seed=3)
    np.testing.assert_array_equal(theta_a, theta_b)
    assert history_a.loss == history_b.loss
    theta_c, history_c = train(seed=4)
    assert history_c.loss != history_a.loss and not np.array_equal(theta_c, theta_a)


def test_initial_theta_is_not_modified():
    before = THETA0.copy()
    theta, _ = train(iterations=3)
    np.testing.assert_array_equal(THETA0, before)
    assert not np.array_equal(theta, THETA0)


@pytest.mark.parametrize("method", sorted(HYPER))
def test_every_method_trains_with_sgd_as_theta_minus_rate_times_mean_gradient(method):
    """With plain SGD each iteration is θ ← θ − β ḡ, ḡ the meta_gradient over the tasks drawn from
    the seeded rng."""
    theta, history = train(method, iterations=3, meta_lr=0.1, optimizer="sgd", seed=7)
    rng = np.random.default_rng(7)
    expected, losses = THETA0.copy(), []
    for _ in range(3):
        batch = FAMILY.sample_batch(rng, 2, 10, 10)
        value, grad = mk.meta_value_and_gradient(method, MODEL.loss, expected, batch,
                                                 **HYPER[method])
        expected, losses = expected - 0.1 * grad, losses + [value]
    np.testing.assert_allclose(theta, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-12)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_callback_sees_theta_after_each_number_of_updates(optimizer):
    """callback(θ_t, t) gets θ after t updates: θ_0 is the start, θ_t is what a t-iteration run
    returns."""
    seen = []
    final, _ = mk.meta_train("maml", MODEL.loss, THETA0, FAMILY.sampler(10, 10), 4, 2, 1e-2,
                             optimizer=optimizer, seed=5, progress=False,
                             callback=lambda th, t: seen.append((t, np.array(th))), **INNER)
    assert [t for t, _ in seen] == [0, 1, 2, 3]
    np.testing.assert_array_equal(seen[0][1], THETA0)
    for t in (1, 3):
        shorter = train(iterations=t, optimizer=optimizer, seed=5)[0]
        np.testing.assert_array_equal(seen[t][1], shorter)
    assert not np.array_equal(seen[3][1], final)


def test_adam_is_the_standard_adam_update():
    """m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − η m̂/(√v̂ + ε), bias-corrected,
    β = (0.9, 0.999), ε = 1e-8."""
    theta, _ = train("fomaml", iterations=3, meta_lr=0.01, seed=2)
    rng = np.random.default_rng(2)
    expected, m, v = THETA0.copy(), 0.0, 0.0
    for i in range(3):
        batch = FAMILY.sample_batch(rng, 2, 10, 10)
        g = mk.meta_gradient("fomaml", MODEL.loss, expected, batch, **INNER)
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g ** 2
        m_hat, v_hat = m / (1 - 0.9 ** (i + 1)), v / (1 - 0.999 ** (i + 1))
        expected = expected - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8)
    np.testing.assert_allclose(theta, expected, rtol=1e-10, atol=1e-13)


def test_a_gradient_that_overflows_while_the_loss_is_finite_stops_training():
    """Σ√|θ| at θ = 0: the loss is 0, its gradient infinite. Training stops at once, keeping the
    finite loss."""
    def loss(theta, data):
        return autograd.numpy.sum(autograd.numpy.sqrt(autograd.numpy.abs(theta)))

    task = Task(None, None)
    with np.errstate(divide="ignore", invalid="ignore"), pytest.raises(mk.DivergenceError) as info:
        mk.meta_train("pretrain", loss, np.zeros(2), lambda rng, n: [task] * n, 3, 1, 0.1,
                      optimizer="sgd", progress=False)
    assert info.value.iteration == 0 and list(info.value.history.loss) == [0.0]


def test_absurd_meta_learning_rate_raises_divergence_error_with_the_history():
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(mk.DivergenceError) as info:
        train(iterations=50, meta_lr=1e6, optimizer="sgd")
    error = info.value
    assert isinstance(error.iteration, int) and 0 < error.iteration < 50
    assert len(error.history.loss) == len(error.history.time) == error.iteration + 1
    assert not np.isfinite(error.history.loss[-1])
    assert np.all(np.isfinite(error.history.loss[:-1]))
    assert error.theta.shape == THETA0.shape
    assert "diverged" in str(error) and "meta_lr" in str(error)


@pytest.mark.parametrize("kwargs, name", [({"optimizer": "rmsprop"}, "optimizer"),
                                          ({"meta_lr": 0.0}, "meta_lr"),
                                          ({"iterations": -1}, "iterations"),
                                          ({"meta_batch": 0}, "meta_batch"),
                                          ({"method": "mamll"}, "method")])
def test_bad_training_arguments(kwargs, name):
    kwargs = {"method": "maml", **kwargs}
    with pytest.raises(ValueError, match=name):
        train(**kwargs, **INNER)
