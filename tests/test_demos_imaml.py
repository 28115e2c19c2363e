"""The two iMAML widgets. Pins the article's errors 4 and 5 at demo level: the regulariser is
λ/2‖φ − θ‖², the inner path is the real proximal gradient descent, and the drawn meta-gradient
solves (I + H/λ) g = ∇L_test(φ) (the query gradient, not the support gradient, on the right)."""
import autograd
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.contour import ContourSet
from matplotlib.quiver import Quiver

import mamlkit as mk
from mamlkit import landscape, tasks
from mamlkit.demos import imaml
from mamlkit.demos.base import UNIT, quantile_levels

# Below task 1's hill: with λ = 0.1 the inner loop ends where H has an eigenvalue near −5, so
# I + H/λ is indefinite.
INDEFINITE = np.array([0.6, 0.0])
POINTS = landscape.grid(UNIT, 50)  # the demos' grid


@pytest.fixture
def regularised():
    return imaml.imaml_regularised()


@pytest.fixture
def implicit():
    return imaml.imaml_implicit_gradient()


def arrow(quiver):
    return np.array([quiver.U[0], quiver.V[0]]), np.asarray(quiver.get_offsets()[0])


def levels(ax):
    """The levels of the filled contours drawn on ``ax``."""
    (filled,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    return filled.levels


def star(ax):
    """Where the regularised loss' grid minimiser φ* is drawn on ``ax``."""
    return next(line for line in ax.lines if line.get_marker() == "*").get_xydata()[0]


def drawn(demo, k):
    """Panel k of the implicit-gradient demo: its inner path (a line) and its three quivers."""
    ax = demo.fig.axes[k]
    force, pull, grad = [c for c in ax.collections if isinstance(c, Quiver)]
    path = next(line for line in ax.lines if line.get_linestyle() == "-")
    return {"path": path, "force": force, "pull": pull, "grad": grad}


# --------------------------------------------------------------------------------------------------
# The regularised landscape


def test_tasks_are_four_bumps_with_the_article_factors():
    for bump in imaml.bump_tasks():
        centres, factors, sharpness = bump.data
        assert centres.shape == (4, 2) and np.all((centres >= 0) & (centres <= 1))
        np.testing.assert_array_equal(factors, [-1.0, -1.5, 2.0, -1.5])
        assert sharpness == 10.0


def test_regularised_defaults_and_ranges(regularised):
    c = regularised.controls
    assert (c["theta_a"].value, c["theta_b"].value) == (0.5, 0.5)
    assert (c["lam"].base, c["lam"].min, c["lam"].max) == (10, -2, 2)  # λ from 0.01 to 100, log
    assert c["lam_zero"].value is False


@pytest.mark.parametrize("lam", [0.01, 1.0, 100.0])
def test_regularised_surface_uses_half_lambda(regularised, lam):
    """The drawn surface is L(φ) + λ/2 ‖φ − θ‖² (the article's figures used λ ‖φ − θ‖²): its
    contour levels are that surface's quantiles."""
    regularised.update(theta_a=0.3, theta_b=0.6, lam=lam)
    theta = np.array([0.3, 0.6])
    sq = (POINTS[0] - theta[0]) ** 2 + (POINTS[1] - theta[1]) ** 2
    for bump, ax in zip(imaml.bump_tasks(), regularised.fig.axes):
        plain = bump.loss(POINTS, bump.data)
        np.testing.assert_allclose(levels(ax), quantile_levels(plain + lam / 2 * sq, 16),
                                   rtol=1e-12, atol=1e-12)
        assert not np.allclose(levels(ax), quantile_levels(plain + lam * sq, 16))


def test_regularised_loss_is_what_proximal_adapt_descends():
    """proximal_adapt's steps are gradient descent on regularised_loss: the same λ/2 convention in
    both."""
    bump = imaml.bump_tasks()[0]
    theta, lam, lr = np.array([0.4, 0.45]), 3.0, 0.05
    grad = autograd.grad(lambda p: imaml.regularised_loss(bump.loss, p, bump.data, theta, lam))
    phi = theta
    for _ in range(3):
        phi = phi - lr * grad(phi)
    np.testing.assert_allclose(mk.proximal_adapt(bump.loss, theta, bump.data, lr, 3, lam), phi,
                               rtol=1e-13)


def test_lambda_zero_is_the_plain_loss_with_a_message(regularised):
    regularised.update(lam_zero=True)
    assert regularised.last_error is None
    for bump, ax in zip(imaml.bump_tasks(), regularised.fig.axes):
        np.testing.assert_array_equal(levels(ax), quantile_levels(bump.loss(POINTS, bump.data), 16))
    assert "λ(λI + H)⁻¹∇L → 0" in regularised.message_text and "λ = 0" in regularised.message_text
    assert "nan" not in regularised.message_text.lower()
    assert regularised.controls["lam"].disabled
    regularised.update(lam_zero=False)
    assert not regularised.controls["lam"].disabled and "→ 0" not in regularised.message_text


def test_minimiser_moves_from_the_task_minimum_to_theta(regularised):
    """λ = 100 pins φ* next to θ (within ‖∇L‖/λ ≈ 0.02 plus the grid spacing); λ = 0.01 leaves it at
    the task's own minimum."""
    step = POINTS[0, 0, 1] - POINTS[0, 0, 0]
    regularised.update(theta_a=0.5, theta_b=0.5, lam=100.0)
    for ax in regularised.fig.axes:
        assert np.linalg.norm(star(ax) - [0.5, 0.5]) < 0.02 + 2 * step
    regularised.update(lam=0.01)
    for bump, ax in zip(imaml.bump_tasks(), regularised.fig.axes):
        own = imaml.grid_argmin(POINTS, bump.loss(POINTS, bump.data))
        assert np.linalg.norm(star(ax) - own) < 2 * step


# --------------------------------------------------------------------------------------------------
# The implicit gradient


def test_implicit_defaults_and_ranges(implicit):
    c = implicit.controls
    assert (c["lam"].base, c["lam"].min, c["lam"].max) == (10, -1, 1)  # λ from 0.1 to 10
    assert (imaml.INNER_LR, imaml.INNER_STEPS) == (0.05, 10)
    assert implicit.last_error is None


@pytest.mark.parametrize("setting", [{}, {"theta_a": 0.2, "theta_b": 0.9, "lam": 10.0},
                                     {"theta_a": 0.0, "theta_b": 0.0, "lam": 0.1}, {"lam": 0.5}])
def test_inner_path_is_proximal_adapt(implicit, setting):
    """The drawn path runs the real inner loop: 10 steps whose end point is proximal_adapt's φ
    (article error 5)."""
    implicit.update(**setting)
    v = implicit.values
    theta = np.array([v["theta_a"], v["theta_b"]])
    for k, bump in enumerate(imaml.bump_tasks()):
        path = np.asarray(drawn(implicit, k)["path"].get_xydata())
        assert path.shape == (imaml.INNER_STEPS + 1, 2)
        np.testing.assert_allclose(path[0], theta)
        phi = mk.proximal_adapt(bump.loss, theta, bump.data, imaml.INNER_LR, imaml.INNER_STEPS,
                                v["lam"])
        np.testing.assert_allclose(path[-1], phi, rtol=1e-12, atol=1e-14)


def test_forces_balance_at_the_minimiser(implicit):
    """With λ = 10 the 10 steps nearly converge: the task's pull −∇L(φ) and the spring λ(θ − φ)
    cancel."""
    implicit.update(lam=10.0)
    for k, bump in enumerate(imaml.bump_tasks()):
        result = imaml.implicit_gradient(np.array([0.5, 0.5]), bump.task, 10.0)
        parts = drawn(implicit, k)
        force, tail = arrow(parts["force"])
        pull, _ = arrow(parts["pull"])
        np.testing.assert_allclose(tail, result["path"][-1])
        assert result["residual"] < 1e-2 * np.linalg.norm(force)
        np.testing.assert_allclose(np.linalg.norm(force + pull), result["residual"], rtol=1e-12)


def test_drawn_meta_gradient_is_imaml_grad(implicit):
    implicit.update(theta_a=0.45, theta_b=0.55, lam=3.0)
    theta = np.array([0.45, 0.55])
    for k, bump in enumerate(imaml.bump_tasks()):
        parts = drawn(implicit, k)
        g = mk.imaml_grad(bump.loss, theta, bump.task, 0.05, 10, 3.0, cg_steps=imaml.CG_STEPS)
        vector, tail = arrow(parts["grad"])
        assert parts["grad"].get_visible()
        np.testing.assert_allclose(tail, theta)
        np.testing.assert_allclose(vector, -g, rtol=1e-12, atol=1e-14)


def test_meta_gradient_solves_the_system_with_the_query_gradient(problems):
    """With different support and query sets the g that the demo draws (``implicit_gradient``)
    solves (I + H_train(φ)/λ) g = ∇L_test(φ) (article error 4 put ∇L_train on the right)."""
    task = problems["bumps"].task
    lam, theta = 5.0, np.array([0.45, 0.6])
    g = imaml.implicit_gradient(theta, task, lam)["grad"]
    phi = mk.proximal_adapt(tasks.bumps_loss, theta, task.train, 0.05, 10, lam)
    system = np.eye(2) + mk.hessian(tasks.bumps_loss, phi, task.train) / lam
    query = np.linalg.solve(system, autograd.grad(tasks.bumps_loss)(phi, task.test))
    support = np.linalg.solve(system, autograd.grad(tasks.bumps_loss)(phi, task.train))
    np.testing.assert_allclose(g, query, rtol=1e-8, atol=1e-12)
    assert np.linalg.norm(query - support) > 0.1 * np.linalg.norm(query)


def test_meta_gradient_arrow_moves_with_lambda(implicit):
    implicit.update(lam=1.0)
    before = arrow(drawn(implicit, 0)["grad"])[0]
    implicit.update(lam=5.0)
    after = arrow(drawn(implicit, 0)["grad"])[0]
    assert np.linalg.norm(after - before) > 1e-3


def test_not_positive_definite_hides_the_arrow_with_a_message(implicit):
    """θ below the hill and the smallest λ: I + H/λ is indefinite, CG stops, the arrow is hidden, no
    NaN."""
    implicit.update(theta_a=float(INDEFINITE[0]), theta_b=float(INDEFINITE[1]), lam=0.1)
    assert implicit.last_error is None
    task = imaml.bump_tasks()[0].task
    result = imaml.implicit_gradient(INDEFINITE, task, implicit.values["lam"])
    assert result["grad"] is None and result["h_min"] < -1.0
    assert not drawn(implicit, 0)["grad"].get_visible()
    assert "not positive definite" in implicit.message_text and "undefined" in implicit.message_text
    with pytest.raises(mk.NotPositiveDefiniteError):
        mk.imaml_grad(tasks.bumps_loss, INDEFINITE, imaml.bump_tasks()[0].task, 0.05, 10, 0.1)
    implicit.update(lam=10.0)  # a large enough λ brings the arrow back
    assert drawn(implicit, 0)["grad"].get_visible()


def test_message_never_shows_negative_zero(implicit):
    """Symmetric settings can round a component to −0.000; the message prints 0.000 instead."""
    for a in (0.0, 0.5, 1.0):
        implicit.update(theta_a=a, theta_b=a)
        assert "-0.000" not in implicit.message_text


# --------------------------------------------------------------------------------------------------
# What the legends and sliders say


@pytest.mark.parametrize("make", [imaml.imaml_regularised, imaml.imaml_implicit_gradient])
def test_sliders_name_theta_a_and_b(make):
    c = make().controls
    assert (c["theta_a"].description, c["theta_b"].description) == ("θ: a", "θ: b")


def test_implicit_legend_colours_are_the_drawn_colours(implicit):
    """Each legend entry has the colours of what it names: the task's pull in each task's colour
    (one entry showing both), the spring and the inner path white (outlined in black), −g_i in
    iMAML's colour."""
    legend = implicit.fig.legends[0]
    texts = [t.get_text() for t in legend.texts]
    handles = dict(zip([t.split(":")[0] for t in texts], legend.legend_handles))
    assert any(t.startswith("−∇L_i(φ_i)") and t.endswith("task 1 / task 2") for t in texts)
    for k in range(2):
        parts = drawn(implicit, k)
        assert to_hex(parts["force"].get_facecolor()[0]) == imaml.TASK_COLORS[k].lower()
        assert to_hex(parts["pull"].get_facecolor()[0]) == to_hex(handles["λ(θ − φ_i)"].get_color())
        assert to_hex(parts["grad"].get_facecolor()[0]) == to_hex(handles["−g_i"].get_color())
        path = handles[next(t for t in handles if t.startswith("inner path"))]
        assert to_hex(parts["path"].get_color()) == to_hex(path.get_color())
