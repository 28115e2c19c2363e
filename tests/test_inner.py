"""The inner loop U^k(θ) and its curvature: inner_loop, adapt, inner_path, proximal_adapt, hessian,
hvp, adaptation_jacobian.

Every derivative is checked against central finite differences on non-quadratic losses (softplus
line, bumps, tanh and ReLU MLPs) for 0, 1 and several steps, or against the closed form on a
quadratic.
"""
import autograd
import numpy as np
import pytest

import mamlkit as mk
from mamlkit import tasks

STEPS = (0, 1, 4)


def test_adapt_zero_steps_returns_theta(problem):
    out = mk.adapt(problem.loss, problem.theta, problem.task.train, problem.lr, steps=0)
    np.testing.assert_array_equal(out, problem.theta)
    assert out is not problem.theta  # a copy: the caller's θ is never handed back to be modified


def test_inner_path_is_gradient_descent_with_finite_difference_gradients(problem, fd):
    """φⁱ = φⁱ⁻¹ − α ∇L(φⁱ⁻¹), with ∇L taken by finite differences (independent of autograd)."""
    loss, data, lr = problem.loss, problem.task.train, problem.lr
    d = problem.theta.size
    path = mk.inner_path(loss, problem.theta, data, lr, steps=3)
    assert len(path) == 4
    np.testing.assert_array_equal(path[0], problem.theta)
    for before, after in zip(path[:-1], path[1:]):
        # the full gradient by finite differences costs 2d losses: fine for d = 97 and tiny data
        grad = fd.diff(lambda t: loss(t, data), before, np.eye(d))
        assert fd.rel(after, before - lr * grad) < 1e-8
    np.testing.assert_array_equal(mk.adapt(loss, problem.theta, data, lr, steps=3), path[-1])


@pytest.mark.parametrize("steps", STEPS)
def test_inner_loop_path_with_lambda_is_the_proximal_steps(problem, steps):
    """inner_loop(..., lam, path=True)[i] is proximal_adapt with i steps, and its end with λ = 0 is
    adapt: one loop for both kinds of step."""
    loss, data, lr, theta = problem.loss, problem.task.train, problem.lr, problem.theta
    path = mk.inner_loop(loss, theta, data, lr, steps, 3.0, path=True)
    assert len(path) == steps + 1
    for i, phi in enumerate(path):
        np.testing.assert_allclose(phi, mk.proximal_adapt(loss, theta, data, lr, i, 3.0),
                                   rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(mk.inner_loop(loss, theta, data, lr, steps),
                               mk.adapt(loss, theta, data, lr, steps), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("steps", STEPS)
def test_adaptation_jacobian_matches_finite_differences_of_adapt(problem, fd, steps):
    """dU^k/dθ · v equals (U^k(θ + εv) − U^k(θ − εv)) / 2ε."""
    loss, data, lr = problem.loss, problem.task.train, problem.lr
    jac = mk.adaptation_jacobian(loss, problem.theta, data, lr, steps)
    directions = fd.directions(problem.theta.size)
    numeric = fd.diff(lambda t: mk.adapt(loss, t, data, lr, steps), problem.theta, directions)
    assert fd.rel(directions @ jac.T, numeric) < 1e-6


@pytest.mark.parametrize("steps", STEPS)
def test_adaptation_jacobian_matches_autograd_jacobian_of_adapt(problem, steps):
    """The ordered product of (I − αH) along the path equals reverse mode through adapt."""
    loss, data, lr = problem.loss, problem.task.train, problem.lr
    jac = mk.adaptation_jacobian(loss, problem.theta, data, lr, steps)
    expected = autograd.jacobian(lambda t: mk.adapt(loss, t, data, lr, steps))(problem.theta)
    np.testing.assert_allclose(jac, expected, rtol=1e-10, atol=1e-12)


def test_adaptation_jacobian_zero_steps_is_identity(problem):
    d = problem.theta.size
    jac = mk.adaptation_jacobian(problem.loss, problem.theta, problem.task.train, problem.lr, 0)
    np.testing.assert_array_equal(jac, np.eye(d))


def test_gradient_reference_matches_finite_differences(problem, fd):
    """The autograd gradient the other checks build on agrees with finite differences."""
    loss, data = problem.loss, problem.task.train
    directions = fd.directions(problem.theta.size)
    numeric = fd.diff(lambda t: loss(t, data), problem.theta, directions)
    assert fd.rel(directions @ autograd.grad(loss)(problem.theta, data), numeric) < 1e-7


def test_hessian_matches_finite_differences_of_gradient(problem, fd):
    """H v equals (∇L(θ + εv) − ∇L(θ − εv)) / 2ε, and H is symmetric."""
    loss, data = problem.loss, problem.task.train
    H = mk.hessian(loss, problem.theta, data)
    assert H.shape == (problem.theta.size,) * 2
    np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-12)
    directions = fd.directions(problem.theta.size)
    numeric = fd.diff(lambda t: autograd.grad(loss)(t, data), problem.theta, directions)
    assert fd.rel(directions @ H, numeric) < 1e-6


def test_hvp_equals_hessian_times_vector(problem):
    loss, data = problem.loss, problem.task.train
    v = np.random.default_rng(3).normal(size=problem.theta.size)
    H = mk.hessian(loss, problem.theta, data)
    np.testing.assert_allclose(mk.hvp(loss, problem.theta, data, v), H @ v, rtol=1e-10, atol=1e-12)


def test_hvp_rejects_v_of_another_shape(problem):
    with pytest.raises(ValueError, match="v must have the shape of theta"):
        mk.hvp(problem.loss, problem.theta, problem.task.train, np.ones(problem.theta.size + 1))


# -------------------------------------------------------------------------------------------------
# Quadratic f(θ) = ½(θ − ½)ᵀC(θ − ½) + gᵀθ: everything has a closed form.

QUAD = tasks.Quadratic(a=0.5, b=-0.1, c=0.3, g=(0.1, -0.1))
QUAD_THETA = np.array([0.3, 0.1])


def test_quadratic_hessian_is_C():
    np.testing.assert_allclose(mk.hessian(QUAD.loss, QUAD_THETA, QUAD.data), QUAD.C, rtol=1e-14)


@pytest.mark.parametrize("steps", STEPS)
def test_quadratic_adapt_closed_form(steps):
    """φᵏ − φ_min = (I − αC)^k (θ − φ_min), with φ_min = ½ − C⁻¹g the minimiser."""
    lr = 0.7
    minimiser = 0.5 - np.linalg.solve(QUAD.C, QUAD.g)
    step = np.linalg.matrix_power(np.eye(2) - lr * QUAD.C, steps)
    expected = minimiser + step @ (QUAD_THETA - minimiser)
    np.testing.assert_allclose(mk.adapt(QUAD.loss, QUAD_THETA, QUAD.data, lr, steps), expected,
                               rtol=1e-12)


@pytest.mark.parametrize("steps", STEPS)
def test_quadratic_adaptation_jacobian_is_power_of_one_step(steps):
    """On a quadratic the Hessian is C everywhere, so dU^k/dθ = (I − αC)^k exactly."""
    lr = 0.7
    expected = np.linalg.matrix_power(np.eye(2) - lr * QUAD.C, steps)
    jac = mk.adaptation_jacobian(QUAD.loss, QUAD_THETA, QUAD.data, lr, steps)
    np.testing.assert_allclose(jac, expected, rtol=1e-12, atol=1e-15)
