"""The landscape demos compute the right pictures: the meta-loss Σ_i L_i(U_i^m(θ)) and the arrows θ → U_i(θ),
drawn with a on the horizontal and b on the vertical axis (article error 9 transposed them)."""
import numpy as np
import pytest
from matplotlib.contour import ContourSet

from mamlkit import adapt, landscape
from mamlkit.demos import landscapes
from mamlkit.demos.base import control_values
from mamlkit.tasks import softplus_line_loss

TRUE = [np.array(t) for t in landscapes.TRUE_LINES]
TASKS = [line.task for line in landscapes.two_tasks()]


@pytest.fixture(scope="module")
def meta_demo():
    return landscapes.build_meta_loss()


@pytest.fixture(scope="module")
def arrows_demo():
    return landscapes.build_arrows()


def test_meta_loss_at_zero_steps_is_the_sum_of_the_task_losses(meta_demo):
    lines = landscapes.two_tasks()
    own = [softplus_line_loss(meta_demo.points, line.data) for line in lines]
    np.testing.assert_allclose(meta_demo.pictures[0, 1:], own, rtol=1e-12)
    np.testing.assert_allclose(meta_demo.pictures[0, 0], own[0] + own[1], rtol=1e-12)


@pytest.mark.parametrize("m", [1, 7, 20])
def test_meta_loss_grids_equal_grid_meta_loss(meta_demo, m):
    total, per_task = landscape.grid_meta_loss(softplus_line_loss, TASKS, meta_demo.points, 0.01, m)
    np.testing.assert_allclose(meta_demo.pictures[m, 0], total, rtol=1e-12)
    np.testing.assert_allclose(meta_demo.pictures[m, 1:], per_task, rtol=1e-12)


def test_grid_is_not_transposed(meta_demo):
    """Picture entry [i, j] is the loss at (a, b) = (points[0, i, j], points[1, i, j]) with a varying along j."""
    a, b = meta_demo.points
    assert np.all(np.diff(a, axis=1) > 0) and np.all(np.diff(a, axis=0) == 0)
    i, j = 7, 41
    line = landscapes.two_tasks()[0]
    assert meta_demo.pictures[0, 1][i, j] == pytest.approx(softplus_line_loss(np.array([a[0, j], b[i, 0]]), line.data))


@pytest.mark.parametrize("task", [0, 1])
def test_each_task_minimum_is_drawn_at_its_true_a_b(meta_demo, task):
    meta_demo.update(steps=0)
    star = np.array(meta_demo.minima[task + 1].get_xydata())[0]
    np.testing.assert_allclose(star, TRUE[task], atol=0.02)
    # the drawn picture: the lowest filled band (loss < first level) surrounds the true (a, b), not (b, a)
    lowest = meta_demo.shown[task + 1].get_paths()[0]
    assert lowest.contains_point(TRUE[task])
    assert not lowest.contains_point(TRUE[task][::-1])


def test_summed_minimum_marker_follows_m(meta_demo):
    """The star sits where the meta-loss is lowest: evaluated afresh at the star's own (a, b), the meta-loss equals
    the picture's minimum (a transposed index would put it elsewhere)."""
    for m in (0, 20):
        meta_demo.update(steps=m)
        star = np.array(meta_demo.minima[0].get_xydata())[0]
        total, _ = landscape.grid_meta_loss(softplus_line_loss, TASKS, star.reshape(2, 1, 1), 0.01, m)
        assert total.item() == pytest.approx(meta_demo.pictures[m, 0].min(), rel=1e-12)
    assert meta_demo.pictures[20, 0].min() < meta_demo.pictures[0, 0].min()


@pytest.mark.parametrize("a, b, lr", [(0.35, 0.55, 0.04), (0.0, 1.0, 0.01), (1.0, 0.0, 0.05), (0.9, 0.2, 0.03)])
def test_arrows_are_one_adapt_step(arrows_demo, a, b, lr):
    arrows_demo.update(a=a, b=b, lr=lr)
    assert arrows_demo.last_error is None
    theta = np.array([a, b])
    for line, quiver in zip(landscapes.two_tasks(), arrows_demo.arrows):
        phi = adapt(line.loss, theta, line.data, lr, 1)
        np.testing.assert_allclose(quiver.get_offsets()[0], theta)
        np.testing.assert_allclose([quiver.U[0], quiver.V[0]], phi - theta, rtol=1e-12)
        assert f"({phi[0]:.3f}, {phi[1]:.3f})" in arrows_demo.message_text
    # The printed meta-objective is the m = 1 meta-loss that the meta-loss demo draws, at this θ.
    total, _ = landscape.grid_meta_loss(softplus_line_loss, TASKS, theta.reshape(2, 1, 1), lr, 1)
    assert arrows_demo.message_text.endswith(f"L_1(φ_1) + L_2(φ_2) = {total.item():.3f}")


@pytest.mark.parametrize("build", [landscapes.build_meta_loss, landscapes.build_arrows])
def test_extremes_are_finite_and_axes_fixed(build):
    demo = build()
    limits = [(ax.get_xlim(), ax.get_ylim()) for ax in demo.fig.axes]
    for name, control in demo.controls.items():
        for value in control_values(control, n=2):
            demo.update(**{name: value})
            assert demo.last_error is None, (name, value, demo.last_error)
            assert [(ax.get_xlim(), ax.get_ylim()) for ax in demo.fig.axes] == limits


def test_arrow_panels_are_not_transposed(arrows_demo):
    for task, ax in enumerate(arrows_demo.fig.axes[:2]):
        filled = next(c for c in ax.collections if isinstance(c, ContourSet))
        lowest = filled.get_paths()[0]
        assert lowest.contains_point(TRUE[task]) and not lowest.contains_point(TRUE[task][::-1])
