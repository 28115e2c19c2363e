"""The Gauss–Newton meta-gradient (mamlkit.gauss_newton) against a dense construction, and the MSE Hessian
split H = (2/N)(J Jᵀ − Σ_j (y − M)_j ∇²M_j) with a linear model keeping J Jᵀ (article error 6)."""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from mamlkit import fomaml_grad, gauss_newton_split, hessian, inner_path, maml_grad, models, tasks
from mamlkit.gauss_newton import gauss_newton_meta_grad, gauss_newton_vector_product


def sine_task(seed=3, k=10):
    return tasks.Sinusoid().sample(np.random.default_rng(seed), k, k)


@pytest.fixture(scope="module", params=["relu", "tanh"])
def mlp(request):
    model = models.MLP((1, 6, 6, 1), request.param)
    return model, model.init(np.random.default_rng(0)), sine_task()


def dense_gauss_newton_meta_grad(model, theta, task, lr, steps):
    """(I − αG(φ⁰))ᵀ ··· (I − αG(φᵏ⁻¹))ᵀ ∇L_te(φᵏ) from dense G matrices of gauss_newton_split."""
    path = inner_path(model.loss, theta, task.train, lr, steps)
    eye = np.eye(theta.size)
    product = eye
    for phi in path[:-1]:
        product = (eye - lr * gauss_newton_split(model, phi, task.train).gauss_newton) @ product
    return product.T @ autograd.grad(model.loss)(path[-1], task.test)


def test_vector_product_matches_the_dense_gauss_newton_matrix(mlp):
    model, theta, task = mlp
    G = gauss_newton_split(model, theta, task.train).gauss_newton
    for v in np.random.default_rng(1).standard_normal((3, theta.size)):
        np.testing.assert_allclose(gauss_newton_vector_product(model, theta, task.train, v), G @ v,
                                   rtol=0, atol=1e-12)


@pytest.mark.parametrize("steps", [0, 1, 3])
def test_meta_gradient_matches_the_dense_product(mlp, steps):
    model, theta, task = mlp
    lr = 0.05
    np.testing.assert_allclose(gauss_newton_meta_grad(model, theta, task, lr, steps),
                               dense_gauss_newton_meta_grad(model, theta, task, lr, steps), rtol=0, atol=1e-12)


def test_zero_steps_is_the_query_gradient(mlp):
    model, theta, task = mlp
    expected = autograd.grad(model.loss)(theta, task.test)
    np.testing.assert_allclose(gauss_newton_meta_grad(model, theta, task, 0.05, 0), expected, rtol=0, atol=0)
    np.testing.assert_allclose(maml_grad(model.loss, theta, task, 0.05, 0), expected, rtol=0, atol=1e-15)


def test_sits_between_fomaml_and_maml(mlp):
    """Three different vectors on a nonlinear net (G ≠ H ≠ 0), all sharing the inner path."""
    model, theta, task = mlp
    exact = maml_grad(model.loss, theta, task, 0.1, 2)
    middle = gauss_newton_meta_grad(model, theta, task, 0.1, 2)
    first = fomaml_grad(model.loss, theta, task, 0.1, 2)
    assert np.linalg.norm(middle - exact) > 1e-6 * np.linalg.norm(exact)
    assert np.linalg.norm(middle - first) > 1e-6 * np.linalg.norm(exact)


def test_exact_for_a_linear_model():
    """Linear model: H = G exactly, so the Gauss–Newton meta-gradient is MAML's; FOMAML's is not."""
    model = models.MLP((1, 1))
    theta, task = np.array([0.7, -0.2]), sine_task(k=8)
    exact = maml_grad(model.loss, theta, task, 0.1, 3)
    np.testing.assert_allclose(gauss_newton_meta_grad(model, theta, task, 0.1, 3), exact, rtol=1e-12, atol=1e-14)
    assert np.linalg.norm(fomaml_grad(model.loss, theta, task, 0.1, 3) - exact) > 1e-3 * np.linalg.norm(exact)


def test_bad_vector_is_named(mlp):
    model, theta, task = mlp
    with pytest.raises(ValueError, match="v must have the shape"):
        gauss_newton_vector_product(model, theta, task.train, np.ones(3))


# Article error 6: ∇² ½‖y − M‖² = J Jᵀ − Σ_j (y − M)_j ∇²M_j (here for the mean, times 2/N), and a linear net
# removes only the second term.

def test_mse_hessian_formula_with_the_parenthesis(mlp):
    model, theta, task = mlp
    x, y = task.train
    n = y.size

    def outputs(t):
        return anp.ravel(model.apply(t, x))

    J = autograd.jacobian(outputs)(theta).T  # d × N: column j is ∇M_j
    curvatures = [autograd.hessian(lambda t, j=j: outputs(t)[j])(theta) for j in range(n)]
    residual = y.ravel() - outputs(theta)  # y − M
    formula = 2.0 / n * (J @ J.T - sum(r * h for r, h in zip(residual, curvatures)))
    H = hessian(model.loss, theta, task.train)
    np.testing.assert_allclose(formula, H, rtol=0, atol=1e-8)
    split = gauss_newton_split(model, theta, task.train)
    np.testing.assert_allclose(split.gauss_newton + split.residual, H, rtol=0, atol=1e-8)
    np.testing.assert_allclose(split.gauss_newton, 2.0 / n * J @ J.T, rtol=0, atol=1e-12)
    # both terms matter on a nonlinear net away from a perfect fit
    assert np.linalg.norm(split.residual) > 1e-3 * np.linalg.norm(H)
    assert np.linalg.norm(split.gauss_newton) > 1e-3 * np.linalg.norm(H)


def test_linear_model_keeps_the_gauss_newton_term():
    model = models.MLP((1, 1))
    x, y = sine_task(k=8).train
    split = gauss_newton_split(model, np.array([0.7, -0.2]), (x, y))
    np.testing.assert_allclose(split.residual, 0.0, atol=1e-14)
    design = np.column_stack([x.ravel(), np.ones(x.shape[0])])  # M = w x + b
    np.testing.assert_allclose(split.gauss_newton, 2.0 / x.shape[0] * design.T @ design, rtol=1e-12)
    np.testing.assert_allclose(split.hessian, split.gauss_newton, rtol=1e-12)
    assert np.linalg.eigvalsh(split.hessian)[-1] > 0.1  # the curvature a FOMAML-style argument would drop is real
