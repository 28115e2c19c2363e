"""The Reptile interpolation widget: the article's defaults, the drawn path and update, and its
extremes."""
import numpy as np
import pytest
from matplotlib.quiver import Quiver

import mamlkit as mk
from mamlkit.demos import reptile


@pytest.fixture
def demo():
    return reptile.reptile_interpolation()


def drawn(demo):
    """(path (k+1, 2), update arrow vector, arrow tail, new θ marker) as drawn."""
    ax = demo.fig.axes[0]
    _true, path, _chord, _theta, new = ax.lines
    update = next(c for c in ax.collections if isinstance(c, Quiver))
    arrow = np.array([update.U[0], update.V[0]])
    return np.asarray(path.get_xydata()), arrow, update.get_offsets()[0], new.get_xydata()[0]


def test_article_defaults_and_ranges(demo):
    c = demo.controls
    assert (c["theta_a"].value, c["theta_b"].value) == (0.3, 0.85)
    assert (c["lr"].value, c["lr"].min, c["lr"].max) == (0.015, 0.01, 0.05)
    assert (c["steps"].value, c["steps"].min, c["steps"].max) == (3, 1, 5)
    assert (c["beta"].value, c["beta"].min, c["beta"].max) == (0.5, 0.2, 0.8)
    task = reptile.reptile_task()
    np.testing.assert_array_equal(task.true_theta, [0.5, 0.05])
    assert task.data[0].shape == (25,)
    assert demo.last_error is None


@pytest.mark.parametrize("setting", [
    {},
    {"theta_a": 0.0, "theta_b": 0.0, "lr": 0.01, "steps": 1, "beta": 0.2},
    {"theta_a": 1.0, "theta_b": 1.0, "lr": 0.05, "steps": 5, "beta": 0.8},
    {"theta_a": 0.7, "theta_b": 0.2, "lr": 0.033, "steps": 4, "beta": 0.35},
])
def test_drawn_path_and_update_are_reptiles(demo, setting):
    """The path is the k-step inner loop on all 25 points; the arrow is β(φ − θ) from θ, ending at
    the new θ."""
    demo.update(**setting)
    v = demo.values
    theta = np.array([v["theta_a"], v["theta_b"]])
    task = reptile.reptile_task()
    path, arrow, tail, new = drawn(demo)
    expected_path = np.array(mk.inner_path(task.loss, theta, task.data, v["lr"], v["steps"]))
    assert path.shape == (v["steps"] + 1, 2)
    np.testing.assert_allclose(path, expected_path, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tail, theta)
    np.testing.assert_allclose(arrow, v["beta"] * (expected_path[-1] - theta), rtol=1e-10,
                               atol=1e-14)
    np.testing.assert_allclose(new, theta + arrow, rtol=1e-12, atol=1e-14)
    assert demo.last_error is None
    assert np.all(np.isfinite(path)) and "φ =" in demo.message_text


def test_one_step_is_a_scaled_gradient_step(demo):
    """k = 1: the update is −β α ∇L(θ), i.e. β × lr × pretrain_grad: joint training, and the message
    says so."""
    demo.update(steps=1, lr=0.02, beta=0.4)
    task = reptile.reptile_task()
    theta = np.array([0.3, 0.85])
    _, arrow, _, _ = drawn(demo)
    np.testing.assert_allclose(arrow, -0.4 * 0.02 * mk.pretrain_grad(task.loss, theta, task.task),
                               rtol=1e-10)
    assert "joint training" in demo.message_text


def test_steps_control_changes_the_number_of_inner_steps(demo):
    for steps in range(1, 6):
        demo.update(steps=steps)
        assert len(drawn(demo)[0]) == steps + 1


def test_largest_rate_overshoots_and_says_so(demo):
    """At the corner (1, 1) with α = 0.05 the first step jumps far out of the square; the picture
    stays finite."""
    demo.update(theta_a=1.0, theta_b=1.0, lr=0.05, steps=5, beta=0.8)
    path, _, _, _ = drawn(demo)
    assert demo.last_error is None and np.all(np.isfinite(path))
    assert "leaves the picture" in demo.message_text
    assert demo.fig.axes[0].get_xlim() == (0.0, 1.0)
    # α·λ_max ≈ 2.4 there: on a quadratic the path would move away, here the loss still falls (the
    # curvature drops after the first jump), and the message says both without claiming either.
    task = reptile.reptile_task()
    corner = np.array([1.0, 1.0])
    sharpness = 0.05 * np.linalg.eigvalsh(mk.hessian(task.loss, corner, task.data))[-1]
    assert sharpness > 2 and f"α·λ_max(H) = {sharpness:.2f} > 2" in demo.message_text
    assert "zigzag" not in demo.message_text and "see whether L(φ) still falls" in demo.message_text
    assert task.loss(path[-1], task.data) < task.loss(path[0], task.data)


def test_zigzag_is_explained(demo):
    """Where α·λ_max(H) > 1 at θ the first step overshoots the valley floor (checked along the top
    eigenvector); with more than one step a quadratic's path would zigzag (beyond 2 it would run
    away): the message gives the number and speaks of a zigzag only where there is a path."""
    task = reptile.reptile_task()
    h_max = np.linalg.eigvalsh(mk.hessian(task.loss, np.array([0.3, 0.85]), task.data))[-1]
    demo.update(lr=0.03)
    path, _, _, _ = drawn(demo)
    top = np.linalg.eigh(mk.hessian(task.loss, path[0], task.data))[1][:, -1]
    along = np.linspace(-0.2, 0.2, 4001)  # the loss itself along the steepest direction through θ
    floor = along[np.argmin([task.loss(path[0] + t * top, task.data) for t in along])]
    assert (path[1] - path[0]) @ top / floor > 1  # the first step lands past the floor
    assert 1 < 0.03 * h_max < 2 and f"α·λ_max(H) = {0.03 * h_max:.2f} > 1" in demo.message_text
    assert "zigzag" in demo.message_text
    demo.update(steps=1)
    assert "overshoots the valley floor." in demo.message_text and "zigzag" not in demo.message_text
    demo.update(lr=0.05, steps=3)
    assert 0.05 * h_max > 2 and f"α·λ_max(H) = {0.05 * h_max:.2f} > 2" in demo.message_text
    demo.update(lr=0.01)
    assert 0.01 * h_max < 1 and "zigzag" not in demo.message_text


def test_loss_panel_shows_the_loss_along_the_path_and_at_the_new_theta(demo):
    """The second panel: L(φʲ; D) for j = 0 … k, and L(θ; D) and L(new θ; D) as levels, on fixed
    axes; the figure spans the notebook's width."""
    assert len(demo.fig.axes) == 3  # landscape, loss panel, colour bar
    assert demo.fig.get_size_inches()[0] >= 12
    curve = demo.fig.axes[1]
    limits = curve.get_xlim(), curve.get_ylim()
    task = reptile.reptile_task()
    for setting in ({}, {"steps": 5, "lr": 0.03}, {"theta_a": 1.0, "theta_b": 1.0, "lr": 0.05}):
        demo.update(**setting)
        v = demo.values
        theta = np.array([v["theta_a"], v["theta_b"]])
        path_loss, theta_loss, new_loss = curve.lines
        path = mk.inner_path(task.loss, theta, task.data, v["lr"], v["steps"])
        np.testing.assert_allclose(path_loss.get_ydata(), [task.loss(p, task.data) for p in path])
        np.testing.assert_allclose(theta_loss.get_ydata(), task.loss(theta, task.data))
        new = drawn(demo)[3]
        np.testing.assert_allclose(new_loss.get_ydata(), task.loss(new, task.data))
        assert (curve.get_xlim(), curve.get_ylim()) == limits
        assert max(path_loss.get_ydata()) < reptile.LOSS_RANGE[1]


def test_sliders_are_labelled_with_the_course_symbols(demo):
    labels = [c.description for c in demo.controls.values()]
    assert labels[:2] == ["θ: a", "θ: b"]
    assert [label.split()[0] for label in labels[2:]] == ["α", "k", "β"]
