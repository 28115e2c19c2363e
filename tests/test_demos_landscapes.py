"""The landscape demos compute the right pictures: the meta-loss Σ_i L_i(U_i^m(θ)) and each task's
gradient step and k-step inner path θ → U_i^k(θ), drawn with a on the horizontal and b on the
vertical axis (article error 9 transposed them)."""
import numpy as np
import pytest
from matplotlib.contour import ContourSet
from matplotlib.quiver import Quiver

from mamlkit import adapt, landscape
from mamlkit.demos import landscapes
from mamlkit.demos.base import pair
from mamlkit.tasks import softplus_line_loss
from widget_drive import control_values

TRUE = [np.array(t) for t in landscapes.TRUE_LINES]
TASKS = [line.task for line in landscapes.two_tasks()]
POINTS = landscape.grid(landscapes.UNIT, 60)  # the meta-loss demo's grid


@pytest.fixture(scope="module")
def pictures():
    """The meta-loss demo's pictures [m, k]: k = 0 the summed meta-loss, k = 1, 2 each task's."""
    per_task = landscapes.meta_loss_grids(softplus_line_loss, TASKS, POINTS, 0.01, 20)
    return np.concatenate([per_task.sum(axis=1, keepdims=True), per_task], axis=1)


def star(ax):
    """The (a, b) of the grid-minimum marker drawn on ``ax``."""
    return next(line for line in ax.lines if line.get_marker() == "*").get_xydata()[0]


@pytest.fixture(scope="module")
def meta_demo():
    return landscapes.meta_loss_landscape()


@pytest.fixture(scope="module")
def arrows_demo():
    return landscapes.two_task_arrows()


def test_meta_loss_at_zero_steps_is_the_sum_of_the_task_losses(pictures):
    lines = landscapes.two_tasks()
    own = [softplus_line_loss(POINTS, line.data) for line in lines]
    np.testing.assert_allclose(pictures[0, 1:], own, rtol=1e-12)
    np.testing.assert_allclose(pictures[0, 0], own[0] + own[1], rtol=1e-12)


@pytest.mark.parametrize("m", [1, 7, 20])
def test_meta_loss_grids_equal_grid_meta_loss(pictures, m):
    total, per_task = landscape.grid_meta_loss(softplus_line_loss, TASKS, POINTS, 0.01, m)
    np.testing.assert_allclose(pictures[m, 0], total, rtol=1e-12)
    np.testing.assert_allclose(pictures[m, 1:], per_task, rtol=1e-12)


def test_grid_is_not_transposed(pictures):
    """Picture entry [i, j] is the loss at (a, b) = (points[0, i, j], points[1, i, j]) with a
    varying along j."""
    a, b = POINTS
    assert np.all(np.diff(a, axis=1) > 0) and np.all(np.diff(a, axis=0) == 0)
    i, j = 7, 41
    line = landscapes.two_tasks()[0]
    direct = softplus_line_loss(np.array([a[0, j], b[i, 0]]), line.data)
    assert pictures[0, 1][i, j] == pytest.approx(direct)


@pytest.mark.parametrize("task", [0, 1])
def test_each_task_minimum_is_drawn_at_its_true_a_b(meta_demo, task):
    meta_demo.update(steps=0)
    ax = meta_demo.fig.axes[task + 1]
    np.testing.assert_allclose(star(ax), TRUE[task], atol=0.02)
    # the drawn picture: the lowest band (loss < first level) surrounds the true (a, b), not (b, a)
    shown = [c for c in ax.collections if isinstance(c, ContourSet) and c.get_visible()]
    assert len(shown) == 1
    lowest = shown[0].get_paths()[0]
    assert lowest.contains_point(TRUE[task])
    assert not lowest.contains_point(TRUE[task][::-1])


def test_summed_minimum_marker_follows_m(meta_demo, pictures):
    """The star sits where the meta-loss is lowest: evaluated afresh at the star's own (a, b), the
    meta-loss equals the picture's minimum (a transposed index would put it elsewhere)."""
    for m in (0, 20):
        meta_demo.update(steps=m)
        at = star(meta_demo.fig.axes[0]).reshape(2, 1, 1)
        total, _ = landscape.grid_meta_loss(softplus_line_loss, TASKS, at, 0.01, m)
        assert total.item() == pytest.approx(pictures[m, 0].min(), rel=1e-12)
    assert pictures[20, 0].min() < pictures[0, 0].min()


def drawn_steps(ax):
    """(the gradient-step quiver, the path line φ¹…φᵏ, the adapted marker φ) drawn on ``ax``."""
    quiver = next(c for c in ax.collections if isinstance(c, Quiver))
    path = next(line for line in ax.lines if line.get_marker() == ".")
    adapted = next(line for line in ax.lines if line.get_marker() == "D")
    return quiver, path, adapted


def finite_difference_gradient(loss, theta, data, h=1e-6):
    return np.array([(loss(theta + h * e, data) - loss(theta - h * e, data)) / (2 * h)
                     for e in np.eye(2)])


@pytest.mark.parametrize("a, b, lr, steps", [(0.35, 0.55, 0.04, 1), (0.0, 1.0, 0.01, 5),
                                             (1.0, 0.0, 0.05, 3), (0.9, 0.2, 0.03, 2)])
def test_each_task_draws_its_own_gradient_and_k_step_path(arrows_demo, a, b, lr, steps):
    """Panel i: the first step −α∇L_i(θ) from θ (∇ checked against central differences), the
    inner path φ¹ … φᵏ of exactly k steps on task i alone, and φ_i = U_i^k(θ) marked."""
    arrows_demo.update(a=a, b=b, lr=lr, steps=steps)
    assert arrows_demo.last_error is None
    theta = np.array([a, b])
    for line, ax in zip(landscapes.two_tasks(), arrows_demo.fig.axes[:2]):
        quiver, path, adapted = drawn_steps(ax)
        grad = finite_difference_gradient(line.loss, theta, line.data)
        np.testing.assert_allclose(quiver.get_offsets()[0], theta)
        np.testing.assert_allclose([quiver.U[0], quiver.V[0]], -lr * grad, rtol=1e-6)
        phis = [theta]
        for _ in range(steps):  # written out: φʲ = φʲ⁻¹ − α∇L(φʲ⁻¹)
            phis.append(phis[-1] - lr * finite_difference_gradient(line.loss, phis[-1], line.data))
        assert path.get_xydata().shape == (steps, 2)
        np.testing.assert_allclose(path.get_xydata(), phis[1:], rtol=1e-5)
        np.testing.assert_allclose(adapted.get_xydata()[0], adapt(line.loss, theta, line.data,
                                                                  lr, steps), rtol=1e-12)
        assert pair(np.round(grad, 6)) in arrows_demo.message_text
    # The printed meta-objective is the k-step meta-loss that the meta-loss demo draws, at this θ.
    total, _ = landscape.grid_meta_loss(softplus_line_loss, TASKS, theta.reshape(2, 1, 1), lr,
                                        steps)
    assert arrows_demo.message_text.endswith(f"L_1(φ_1) + L_2(φ_2) = {total.item():.3f}")


def test_the_meta_loss_demo_reads_out_its_value_at_theta(meta_demo):
    meta_demo.update(steps=4, a=0.8, b=0.1)
    at = np.reshape([0.8, 0.1], (2, 1, 1))
    total, (first, second) = landscape.grid_meta_loss(softplus_line_loss, TASKS, at, 0.01, 4)
    assert (f"At θ = (0.80, 0.10): {total.item():.3f} = {first.item():.3f} + "
            f"{second.item():.3f}") in meta_demo.message_text
    for ax in meta_demo.fig.axes[:3]:
        assert [0.8, 0.1] in next(line for line in ax.lines
                                  if line.get_marker() == "o" and line.get_animated()
                                  ).get_xydata().tolist()


@pytest.mark.parametrize("build", [landscapes.meta_loss_landscape, landscapes.two_task_arrows])
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


@pytest.fixture(scope="module")
def static_figure(pictures):
    return landscapes.meta_loss_figure(POINTS, pictures[:, 0], path=[[0.35, 0.55], [0.5, 0.45]])


def rendered(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


@pytest.mark.parametrize("which", ["static", "meta", "arrows"])
def test_figures_are_wide_have_a_colour_bar_and_readable_ticks(which, static_figure, meta_demo,
                                                               arrows_demo):
    """Full width (≥ 11 in), one colour bar, tick labels at least 9 pt that never touch those of
    the next panel (no "1.00.0"), and the legend below the panels, covering none of them."""
    fig = {"static": static_figure, "meta": meta_demo.fig, "arrows": arrows_demo.fig}[which]
    renderer = rendered(fig)
    assert fig.get_size_inches()[0] >= 11
    *maps, bar = fig.axes
    assert bar.get_ylabel() and len(bar.get_yticks()) >= 4  # the colour bar, labelled
    labels = [[t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
              for ax in maps]
    for ax in maps:
        assert all(t.get_fontsize() >= 9 for t in ax.get_xticklabels())
    for left, right in zip(labels, labels[1:]):
        assert left[-1].x1 + 5 < right[0].x0  # pixels between "1" and the next panel's "0"
    legend = fig.legends[0].get_window_extent(renderer)
    assert not any(legend.overlaps(ax.get_window_extent(renderer)) for ax in maps)


def test_the_star_is_drawn_whole_on_the_edge(meta_demo, static_figure):
    """At k = 20 the grid minimum lies on the edge a = 1: its star is not clipped, and the
    message says so."""
    meta_demo.update(steps=20)
    assert star(meta_demo.fig.axes[0])[0] == pytest.approx(1.0)
    assert "edge" in meta_demo.message_text
    stars = [line for ax in list(meta_demo.fig.axes[:3]) + list(static_figure.axes[:4])
             for line in ax.lines if line.get_marker() == "*"]
    assert stars and not any(line.get_clip_on() for line in stars)
    meta_demo.update(steps=0)
    assert "edge" not in meta_demo.message_text


def test_the_static_figure_shows_each_k_and_the_path(static_figure, pictures):
    titles = [ax.get_title() for ax in static_figure.axes[:4]]
    assert titles == ["k = 0", "k = 1", "k = 5", "k = 20"]
    for ax, k in zip(static_figure.axes, (0, 1, 5, 20)):
        np.testing.assert_allclose(star(ax), landscapes.grid_argmin(POINTS, pictures[k, 0]))
    path = [line for line in static_figure.axes[1].lines if line.get_marker() in ("None", "")]
    assert len(path) == 1 and path[0].get_xydata().shape == (2, 2)
