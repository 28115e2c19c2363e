"""compare_meta_gradients (exact versus first order) and gauss_newton_split (where the curvature
of a squared error comes from)."""
import numpy as np
import pytest

import mamlkit as mk
from mamlkit import Task, models, tasks


@pytest.mark.parametrize("steps", (0, 1, 3))
def test_compare_meta_gradients_fields(problem, steps):
    loss, theta, task, lr = problem
    result = mk.compare_meta_gradients(loss, theta, task, lr, steps)
    exact = mk.maml_grad(loss, theta, task, lr, steps)
    first = mk.fomaml_grad(loss, theta, task, lr, steps)
    np.testing.assert_allclose(result.exact, exact, rtol=1e-12)
    np.testing.assert_allclose(result.first_order, first, rtol=1e-12)
    np.testing.assert_allclose(result.dropped, exact - first, rtol=1e-10, atol=1e-14)
    cosine = np.dot(exact, first) / np.sqrt(np.dot(exact, exact) * np.dot(first, first))
    assert result.cosine == pytest.approx(cosine, rel=1e-12)
    relative = np.sqrt(np.sum((first - exact) ** 2) / np.sum(exact ** 2))
    assert result.relative_error == pytest.approx(relative, rel=1e-10, abs=1e-15)
    if steps == 0:  # nothing to drop
        assert result.relative_error == 0 and result.cosine == pytest.approx(1.0, abs=1e-15)
    else:
        assert result.relative_error > 1e-3 and -1 <= result.cosine < 1


QUAD = tasks.Quadratic(a=1.0, b=0.0, c=1.0, g=(0.0, 0.0))  # f = ½‖θ − ½‖², minimum at ½


def test_compare_meta_gradients_both_zero():
    """At the minimum with no steps both gradients vanish: cosine 1, relative error 0 (not nan)."""
    result = mk.compare_meta_gradients(QUAD.loss, np.full(2, 0.5), QUAD.task, 0.1, steps=0)
    np.testing.assert_array_equal(result.exact, 0.0)
    assert result.cosine == 1.0 and result.relative_error == 0.0


def test_compare_meta_gradients_exact_zero_first_order_not():
    """With α = 1 on C = I one step lands on the minimum and dU/dθ = I − C = 0: exact MAML is 0
    while the first-order gradient (query set ≠ support set) is not; the cosine is then 0 and the
    relative error inf."""
    query = tasks.Quadratic(a=1.0, b=0.0, c=1.0, g=(0.2, -0.1)).data
    result = mk.compare_meta_gradients(QUAD.loss, np.array([0.1, 0.9]), Task(QUAD.data, query), 1.0,
                                       steps=1)
    np.testing.assert_allclose(result.exact, 0.0, atol=1e-15)
    np.testing.assert_allclose(result.first_order, [0.2, -0.1], rtol=1e-12)
    assert result.cosine == 0.0 and result.relative_error == np.inf


# -------------------------------------------------------------------------------------------------
# Gauss–Newton split of the MSE Hessian

def sine_data(n=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-5, 5, size=(n, 1))
    return x, 2.0 * np.sin(x - 0.5)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_article_error_6_gauss_newton_split_sums_to_the_hessian(activation):
    """The article's MSE Hessian formula misses a parenthesis. Correct:
    ∇²L = (2/N)(J Jᵀ − Σ_j (y − M)_j ∇²M_j), a Gauss–Newton term plus a residual term, and their sum
    is the full Hessian of model.loss."""
    model = models.MLP((1, 8, 8, 1), activation)
    theta, data = model.init(np.random.default_rng(1)), sine_data()
    split = mk.gauss_newton_split(model, theta, data)
    hessian = mk.hessian(model.loss, theta, data)
    np.testing.assert_allclose(split.gauss_newton + split.residual, hessian, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(split.hessian, hessian, rtol=1e-10, atol=1e-13)
    assert np.linalg.norm(split.residual) > 1e-2 * np.linalg.norm(hessian)  # both terms matter here


@pytest.mark.parametrize("sizes", [(1, 1), (1, 3)])
def test_article_error_6_linear_model_keeps_the_gauss_newton_term(sizes):
    """The article argues a (nearly) linear net makes the Hessian vanish. For a linear model only
    the residual term vanishes: J Jᵀ stays, and for M = x W + b it is
    (2/N) Σ_j [x_j; 1][x_j; 1]ᵀ ⊗ I per output."""
    model = models.MLP(sizes)
    x, y = sine_data()
    y = np.tile(y, (1, sizes[-1]))
    theta = model.init(np.random.default_rng(2))
    split = mk.gauss_newton_split(model, theta, (x, y))
    np.testing.assert_allclose(split.residual, 0.0, atol=1e-14)
    assert np.linalg.norm(split.gauss_newton) > 0.1
    np.testing.assert_allclose(split.gauss_newton, split.hessian, rtol=1e-10, atol=1e-14)
    if sizes == (1, 1):  # θ = (w, b)
        features = np.hstack([x, np.ones_like(x)])
        np.testing.assert_allclose(split.gauss_newton, 2.0 / len(x) * features.T @ features,
                                   rtol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_gauss_newton_term_is_positive_semidefinite(activation):
    model = models.MLP((1, 8, 8, 1), activation)
    split = mk.gauss_newton_split(model, model.init(np.random.default_rng(3)), sine_data(seed=3))
    np.testing.assert_allclose(split.gauss_newton, split.gauss_newton.T, rtol=1e-12, atol=1e-15)
    eigenvalues = np.linalg.eigvalsh(split.gauss_newton)
    assert eigenvalues.min() >= -1e-10 * eigenvalues.max()
    assert np.linalg.eigvalsh(split.hessian).min() < -1e-6  # while the full Hessian is indefinite


def test_residual_term_vanishes_at_a_perfect_fit():
    """Targets produced by the network itself: r = 0, so ∇²L = J Jᵀ even for a nonlinear net."""
    model = models.MLP((1, 8, 8, 1), "tanh")
    theta = model.init(np.random.default_rng(4))
    x = sine_data()[0]
    split = mk.gauss_newton_split(model, theta, (x, model.apply(theta, x)))
    np.testing.assert_allclose(split.residual, 0.0, atol=1e-14)
    np.testing.assert_allclose(split.gauss_newton, split.hessian, rtol=1e-10, atol=1e-13)
