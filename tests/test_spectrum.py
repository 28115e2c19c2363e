"""Top and bottom Hessian eigenvalues from Hessian-vector products (mamlkit.spectrum), and the
k-step adaptation Jacobian as an ordered product along the path (article error 3)."""
import autograd
import numpy as np
import pytest

from mamlkit import adapt, adaptation_jacobian, hessian, models, tasks
from mamlkit.spectrum import (contraction_limit, extreme_eigenvalues, hessian_operator,
                              sharpness_along_path, step_norm)


@pytest.fixture(scope="module", params=["relu", "tanh"])
def small_mlp(request):
    """A 1-8-8-1 MLP (97 parameters) at a seeded initialisation, a sinusoid support set, and its
    exact Hessian."""
    model = models.MLP((1, 8, 8, 1), request.param)
    theta = model.init(np.random.default_rng(0))
    data = tasks.Sinusoid().task(np.random.default_rng(2), 2.0, np.pi / 2, 10, 10).train
    return model, theta, data, hessian(model.loss, theta, data)


def test_operator_is_the_hessian(small_mlp):
    model, theta, data, H = small_mlp
    op = hessian_operator(model.loss, theta, data)
    V = np.random.default_rng(1).standard_normal((theta.size, 3))
    np.testing.assert_allclose(np.column_stack([op.matvec(v) for v in V.T]), H @ V,
                               rtol=0, atol=1e-10)


@pytest.mark.parametrize("which", ["LA", "SA", "LM"])
def test_eigenvalues_match_eigvalsh(small_mlp, which):
    model, theta, data, H = small_mlp
    exact = np.linalg.eigvalsh(H)
    k = 4
    largest_magnitude = np.sort(exact[np.argsort(np.abs(exact))[-k:]])
    expected = {"LA": exact[-k:], "SA": exact[:k], "LM": largest_magnitude}[which]
    found = extreme_eigenvalues(model.loss, theta, data, k, which)
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-8)


def test_sharpness_along_path_is_the_top_eigenvalue_at_each_point(small_mlp):
    model, theta, data, H = small_mlp
    found = sharpness_along_path(model.loss, theta, data, 0.05, 3)
    expected = [np.linalg.eigvalsh(hessian(model.loss, phi, data))[-1]
                for phi in (adapt(model.loss, theta, data, 0.05, k) for k in range(4))]
    assert found.shape == (4,) and found[0] == pytest.approx(np.linalg.eigvalsh(H)[-1], abs=1e-8)
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-8)
    assert np.ptp(found) > 1e-3   # the network's curvature does change along the path


def test_sharpness_along_path_of_a_quadratic_is_constant_and_nan_after_overflow():
    problem = tasks.Quadratic(a=0.5, b=-0.1, c=0.0)
    top = np.linalg.eigvalsh(problem.data[0])[-1]
    found = sharpness_along_path(tasks.quadratic_loss, np.zeros(2), problem.data, 0.1, 4)
    np.testing.assert_allclose(found, np.full(5, top), rtol=1e-10)
    # α·λ_max far above 2: every step multiplies the error by |1 − αλ|, until φ overflows to inf and
    # then nan.
    runaway = sharpness_along_path(tasks.quadratic_loss, np.zeros(2), problem.data, 1e4 / top, 200)
    assert np.isfinite(runaway[0]) and np.isnan(runaway[-1])


def test_sharpness_is_nan_where_the_curvature_overflows(small_mlp):
    """θ is finite, but the loss and so H overflow float64 (the squared outputs at 1e160 θ): no
    eigenvalue to report, and no error either."""
    model, theta, data, _ = small_mlp
    with np.errstate(over="ignore", invalid="ignore"):
        assert not np.isfinite(model.loss(1e160 * theta, data))
    assert np.isnan(sharpness_along_path(model.loss, 1e160 * theta, data, 0.01, 0)).all()


def test_a_saturated_tanh_network_has_the_curvature_of_its_last_layer():
    """At 1e120 θ every tanh unit saturates at ±1 (σ' = 0 in float64) while the loss stays finite,
    so H is the last layer's Gauss–Newton block (2/N) Σ_j [h_j; 1][h_j; 1]ᵀ, not nan."""
    model = models.MLP((1, 8, 8, 1), "tanh")
    theta = 1e120 * model.init(np.random.default_rng(0))
    x, y = tasks.Sinusoid().task(np.random.default_rng(2), 2.0, np.pi / 2, 10, 10).train
    (W1, b1), (W2, b2), _ = model.layers(theta)
    h = np.tanh(np.tanh(x @ W1 + b1) @ W2 + b2)
    assert np.all(np.abs(h) == 1.0) and np.isfinite(model.loss(theta, (x, y)))
    features = np.hstack([h, np.ones((len(x), 1))])
    top = np.linalg.eigvalsh(2.0 / len(x) * features.T @ features)[-1]
    np.testing.assert_allclose(sharpness_along_path(model.loss, theta, (x, y), 0.01, 0), [top],
                               rtol=1e-8)


def test_eigenvalues_are_reproducible(small_mlp):
    model, theta, data, _ = small_mlp
    first = extreme_eigenvalues(model.loss, theta, data, 3)
    np.testing.assert_array_equal(first, extreme_eigenvalues(model.loss, theta, data, 3))


def test_step_norm_is_the_spectral_norm_of_the_step_jacobian(small_mlp):
    model, theta, data, H = small_mlp
    lam = np.linalg.eigvalsh(H)
    for lr in (1e-3, 0.05, 0.3, 2.0):
        exact = np.linalg.norm(np.eye(H.shape[0]) - lr * H, 2)
        np.testing.assert_allclose(step_norm(lam[0], lam[-1], lr), exact, rtol=1e-10)
    np.testing.assert_allclose(step_norm(lam[0], lam[-1], np.array([0.0, 1.0])),
                               [1.0, max(abs(1 - lam[0]), abs(1 - lam[-1]))])


def test_contraction_limit_on_a_positive_definite_quadratic():
    quad = tasks.Quadratic(a=0.5, b=0.1, c=0.3)  # C positive definite, H = C
    lam = np.linalg.eigvalsh(quad.C)
    limit = contraction_limit(lam[0], lam[-1])
    assert limit == pytest.approx(2 / lam[-1])
    eye = np.eye(2)
    assert (np.linalg.norm(eye - 0.99 * limit * quad.C, 2) < 1
            < np.linalg.norm(eye - 1.01 * limit * quad.C, 2))


def test_no_contraction_with_a_non_positive_eigenvalue():
    assert contraction_limit(0.0, 3.0) == 0.0
    assert contraction_limit(-1.0, 3.0) == 0.0
    assert step_norm(-1.0, 3.0, 1e-4) > 1
    with pytest.raises(ValueError, match="lam_min"):
        contraction_limit(2.0, 1.0)


def test_bad_arguments_are_named(small_mlp):
    model, theta, data, _ = small_mlp
    with pytest.raises(ValueError, match="k must be below"):
        extreme_eigenvalues(model.loss, theta, data, theta.size)
    with pytest.raises(ValueError, match="which must be one of"):
        extreme_eigenvalues(model.loss, theta, data, 2, "largest")


# Article error 3: the k-step Jacobian is the ordered product along the inner path, not
# (I − αH(θ))ᵏ.

@pytest.mark.parametrize("steps", [1, 2, 3])
def test_adaptation_jacobian_is_the_ordered_product_not_a_power(small_mlp, steps):
    model, theta, data, H = small_mlp
    lr = 0.1
    by_autograd = autograd.jacobian(lambda t: adapt(model.loss, t, data, lr, steps))(theta)
    jac = adaptation_jacobian(model.loss, theta, data, lr, steps)
    np.testing.assert_allclose(jac, by_autograd, rtol=0, atol=1e-10)
    frozen = np.linalg.matrix_power(np.eye(theta.size) - lr * H, steps)
    gap = np.linalg.norm(jac - frozen) / np.linalg.norm(jac)
    if steps == 1:
        assert gap < 1e-14
    else:
        assert gap > 1e-4  # the Hessian moves along the path: the article's power is another matrix
