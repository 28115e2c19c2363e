"""The Reptile paper's Taylor analysis (mamlkit.taylor): the updates per minibatch order, the two
Taylor terms, and the expected-update formulas of MAML, FOMAML and Reptile against averaged updates
for small α."""
import itertools

import autograd
import numpy as np
import pytest

import mamlkit as mk
from mamlkit import models, tasks, taylor

K = 3
METHODS = ("maml", "fomaml", "reptile")  # the three updates taylor compares


def sinusoid_samples(n_samples, k, seed=0, points=8):
    """n_samples tasks, each with k independent minibatches of ``points`` points (one sample per
    task)."""
    rng = np.random.default_rng(seed)
    family = tasks.Sinusoid()
    out = []
    for _ in range(n_samples):
        amplitude, phase = family.sample_params(rng)
        out.append([family.sample_points(rng, amplitude, phase, points) for _ in range(k)])
    return out


@pytest.fixture(scope="module")
def mlp():
    """A small smooth (tanh) MLP: a Taylor remainder is O(α²) only where the loss is twice
    differentiable."""
    model = models.MLP((1, 8, 8, 1), "tanh")
    return model, model.init(np.random.default_rng(0))


def test_updates_with_one_repeated_minibatch_are_the_library_meta_gradients(mlp):
    """With D_1 = … = D_k = D: MAML and FOMAML are maml_grad/fomaml_grad with k − 1 steps, Reptile
    θ − U^k(θ) / α."""
    model, theta = mlp
    (batch,) = sinusoid_samples(1, 1)[0]
    lr = 0.05
    got = taylor.updates(model.loss, theta, [batch] * K, lr)
    task = mk.Task(batch, batch)
    expected = {"maml": mk.maml_grad(model.loss, theta, task, lr, K - 1),
                "fomaml": mk.fomaml_grad(model.loss, theta, task, lr, K - 1),
                "reptile": mk.reptile_grad(model.loss, theta, batch, lr, K) / lr}
    for name in METHODS:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-10, atol=1e-13)


def test_each_inner_step_uses_its_own_minibatch(mlp):
    """Step i uses D_i and MAML's gradient is taken on D_k: reordering the minibatches changes the
    updates."""
    model, theta = mlp
    batches = sinusoid_samples(1, K)[0]
    lr = 0.05
    forward = taylor.updates(model.loss, theta, batches, lr)
    grad = autograd.grad(model.loss)
    phi = theta
    for batch in batches[:-1]:
        phi = phi - lr * grad(phi, batch)
    np.testing.assert_allclose(forward["fomaml"], grad(phi, batches[-1]), rtol=1e-12, atol=1e-14)
    phi = phi - lr * grad(phi, batches[-1])
    np.testing.assert_allclose(forward["reptile"], (theta - phi) / lr, rtol=1e-12, atol=1e-14)
    backward = taylor.updates(model.loss, theta, batches[::-1], lr)
    assert np.linalg.norm(forward["fomaml"] - backward["fomaml"]) > 1e-3


def test_avg_grad_inner_is_the_mean_of_hessian_times_other_gradient(mlp):
    """½ ∇(ḡ_i·ḡ_j) averaged over pairs i < j equals H̄_i ḡ_j averaged over ordered pairs i ≠ j
    (via hvp)."""
    model, theta = mlp
    samples = sinusoid_samples(3, K)
    avg_grad, avg_grad_inner = taylor.taylor_terms(model.loss, theta, samples)
    grad = autograd.grad(model.loss)
    expected_inner = np.mean([mk.hvp(model.loss, theta, batches[i], grad(theta, batches[j]))
                              for batches in samples
                              for i, j in itertools.permutations(range(K), 2)], axis=0)
    expected_grad = np.mean([grad(theta, b) for batches in samples for b in batches], axis=0)
    np.testing.assert_allclose(avg_grad_inner, expected_inner, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(avg_grad, expected_grad, rtol=1e-12, atol=1e-14)


def test_predicted_updates_formulas():
    g, h = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    got = taylor.predicted_updates(g, h, lr=0.1, k=4)
    np.testing.assert_allclose(got["maml"], g - 2 * 3 * 0.1 * h)
    np.testing.assert_allclose(got["fomaml"], g - 3 * 0.1 * h)
    np.testing.assert_allclose(got["reptile"], 4 * g - 6 * 0.1 * h)
    one = taylor.predicted_updates(g, h, lr=0.1, k=1)  # one minibatch: every method is plain SGD
    for name in METHODS:
        np.testing.assert_allclose(one[name], g)


def errors(model, theta, samples, k, lrs, inner_scale=1.0):
    """‖mean update − formula‖ per method and α; inner_scale multiplies AvgGradInner (1: the paper's
    formulas)."""
    avg_grad, avg_grad_inner = taylor.taylor_terms(model.loss, theta, samples)
    out = {name: [] for name in METHODS}
    for lr in lrs:
        actual = taylor.mean_updates(model.loss, theta, samples, lr)
        predicted = taylor.predicted_updates(avg_grad, inner_scale * avg_grad_inner, lr, k)
        for name in METHODS:
            out[name].append(np.linalg.norm(actual[name] - predicted[name]))
    return {name: np.array(values) for name, values in out.items()}


@pytest.mark.parametrize("k", [2, 3])
def test_formulas_hold_to_second_order_in_alpha(mlp, k):
    """Halving α divides the gap between the averaged updates and the formulas by about 4: it is
    O(α²)."""
    model, theta = mlp
    samples = sinusoid_samples(3, k)
    gaps = errors(model, theta, samples, k, [0.02, 0.01, 0.005])
    for name, gap in gaps.items():
        ratios = gap[:-1] / gap[1:]
        assert np.all((ratios > 3.3) & (ratios < 4.7)), (name, ratios)


def test_without_the_inner_term_the_gap_is_first_order(mlp):
    """Dropping AvgGradInner leaves an O(α) gap (ratio ≈ 2 when α halves): the α-term of each
    formula is needed."""
    model, theta = mlp
    samples = sinusoid_samples(3, K)
    gaps = errors(model, theta, samples, K, [0.01, 0.005], inner_scale=0.0)
    for name, gap in gaps.items():
        assert 1.7 < gap[0] / gap[1] < 2.3, (name, gap)


def test_maml_coefficient_is_twice_fomaml_s(mlp):
    """Using FOMAML's coefficient (k − 1)α for MAML leaves an O(α) gap: MAML's really is
    2(k − 1)α."""
    model, theta = mlp
    samples = sinusoid_samples(3, K)
    avg_grad, avg_grad_inner = taylor.taylor_terms(model.loss, theta, samples)
    gaps = []
    for lr in (0.01, 0.005):
        actual = taylor.mean_updates(model.loss, theta, samples, lr)["maml"]
        predicted = taylor.predicted_updates(avg_grad, avg_grad_inner, lr, K)["fomaml"]
        gaps.append(np.linalg.norm(actual - predicted))
    assert 1.7 < gaps[0] / gaps[1] < 2.3


def test_input_checks(mlp):
    model, theta = mlp
    samples = sinusoid_samples(2, K)
    with pytest.raises(ValueError, match="same number"):
        taylor.mean_updates(model.loss, theta, [samples[0], samples[1][:2]], 0.01)
    with pytest.raises(ValueError, match="k >= 2"):
        taylor.taylor_terms(model.loss, theta, [samples[0][:1]])
    with pytest.raises(ValueError, match="non-zero"):
        taylor.updates(model.loss, theta, samples[0], 0.0)
    with pytest.raises(ValueError, match="k must be"):
        taylor.predicted_updates(np.zeros(2), np.zeros(2), 0.1, 0)
