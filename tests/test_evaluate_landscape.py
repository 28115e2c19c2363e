"""Landscape grids (layout, grid-wide inner loops and meta-losses), the evaluation curve, and the
model zoo."""
import json

import numpy as np
import pytest

import mamlkit as mk
from mamlkit import Task, evaluate, landscape, models, tasks, zoo

LINES = [tasks.SoftplusLine(0.3, 0.05), tasks.SoftplusLine(0.83, 0.75, seed=1)]
BUMPS = tasks.Bumps([(0.2, 0.2), (0.8, 0.3), (0.5, 0.5), (0.3, 0.8)])


def test_article_error_9_grid_layout_is_x_along_columns():
    """The article's meta-loss contours may have a and b swapped (an 'ij' meshgrid given to
    contourf). Our grid has point [:, i, j] = (xs[j], ys[i]), the 'xy' layout
    contour(points[0], points[1], values) expects."""
    extent, n = (-1.0, 2.0, 10.0, 11.0), 5  # different ranges on the two axes, so a transpose shows
    points = landscape.grid(extent, n)
    xs, ys = np.linspace(-1.0, 2.0, n), np.linspace(10.0, 11.0, n)
    assert points.shape == (2, n, n)
    for i in range(n):
        for j in range(n):
            np.testing.assert_array_equal(points[:, i, j], [xs[j], ys[i]])


@pytest.mark.parametrize("steps", (0, 1, 3))
@pytest.mark.parametrize("loss, data", [(tasks.softplus_line_loss, LINES[0].data),
                                        (tasks.bumps_loss, BUMPS.data),
                                        (tasks.quadratic_loss, tasks.Quadratic().data)],
                         ids=["softplus", "bumps", "quadratic"])
def test_grid_adapt_equals_adapt_at_every_point(loss, data, steps):
    points = landscape.grid((0.0, 1.0, 0.0, 1.0), 4)
    adapted = landscape.grid_adapt(loss, points, data, 0.04, steps)
    assert adapted.shape == points.shape
    for i in range(4):
        for j in range(4):
            expected = mk.adapt(loss, points[:, i, j], data, 0.04, steps)
            np.testing.assert_allclose(adapted[:, i, j], expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss, data", [(tasks.softplus_line_loss, LINES[0].data),
                                        (tasks.bumps_loss, BUMPS.data)], ids=["softplus", "bumps"])
def test_inner_loop_on_a_grid_with_lambda_is_the_proximal_inner_loop_at_every_point(loss, data):
    """The one inner loop moves every point of a (2, n, n) grid at once, proximal steps included."""
    points = landscape.grid((0.0, 1.0, 0.0, 1.0), 3)
    path = mk.inner_loop(loss, points, data, 0.05, 3, lam=2.0, path=True)
    assert len(path) == 4
    for steps, phi in enumerate(path):
        for i in range(3):
            for j in range(3):
                expected = mk.proximal_adapt(loss, points[:, i, j], data, 0.05, steps, 2.0)
                np.testing.assert_allclose(phi[:, i, j], expected, rtol=1e-12, atol=1e-15)


def test_grid_meta_loss_is_the_sum_of_each_task_loss_after_adaptation():
    points = landscape.grid((0.0, 1.0, 0.0, 1.0), 3)
    task_list = [line.task for line in LINES]
    total, per_task = landscape.grid_meta_loss(tasks.softplus_line_loss, task_list, points, 0.01, 2)
    assert total.shape == (3, 3) and len(per_task) == 2
    for i in range(3):
        for j in range(3):
            theta = points[:, i, j]
            each = [line.loss(mk.adapt(line.loss, theta, line.data, 0.01, 2), line.data)
                    for line in LINES]
            np.testing.assert_allclose([p[i, j] for p in per_task], each, rtol=1e-12)
            assert total[i, j] == pytest.approx(sum(each), rel=1e-12)


def test_adaptation_curve_matches_a_manual_loop():
    """Row t, column s: the query loss after s plain gradient steps on task t's support set."""
    model = models.MLP((1, 8, 8, 1), "tanh")
    theta = model.init(np.random.default_rng(0))
    task_list = tasks.Sinusoid().heldout(3, 5, 20)
    curves = evaluate.adaptation_curve(model.loss, theta, task_list, 0.02, max_steps=4)
    assert curves.shape == (3, 5)
    for t, task in enumerate(task_list):
        for s in range(5):
            expected = model.loss(mk.adapt(model.loss, theta, task.train, 0.02, s), task.test)
            assert curves[t, s] == pytest.approx(expected, rel=1e-12)
    assert np.all(np.abs(np.diff(curves, axis=1)) > 1e-8)  # every step moves φ: every column is new


def test_an_overflowed_task_scores_inf_not_nan():
    # Rates far past 2/λ_max blow the parameters up until the losses overflow (inf − inf = nan
    # inside them); the curve scores such a task inf on both paths, the vectorised one and the loop.
    model = models.MLP((1, 8, 8, 1))
    theta = model.init(np.random.default_rng(0))
    problem = tasks.Quadratic(a=0.5, b=-0.1, c=0.0)
    for loss, start, task_list, lr, steps in [
            (model.loss, theta, tasks.Sinusoid().heldout(3, 5, 10), 50.0, 200),
            (tasks.quadratic_loss, np.zeros(2), [problem.task], 1e4, 300)]:
        with np.errstate(all="ignore"):
            curves = evaluate.adaptation_curve(loss, start, task_list, lr, steps)
        assert not np.isnan(curves).any() and np.all(curves[:, -1] == np.inf)
        assert np.all(np.isfinite(curves[:, 0]))   # before fine-tuning every task is finite


def test_runaway_and_spikes_split_tasks_by_where_their_error_ends():
    curves = np.array([[3.0, 0.5, 0.3],     # ordinary
                       [3.0, 40.0, np.inf],  # runs away (an overflow scores inf)
                       [3.0, 30.0, 1.0],     # spikes above the limit, then falls back
                       [3.0, 2.0, 25.0]])    # at the limit: neither
    assert evaluate.runaway(curves, 25.0).tolist() == [1]
    assert evaluate.spikes(curves, 25.0).tolist() == [2]


def test_predicting_zero_never_scores_above_the_sinusoid_bound():
    family = tasks.Sinusoid()
    assert family.zero_error_bound == 25.0
    worst = tasks.Sinusoid(amplitude=(4.99, 5.0))  # the largest amplitudes, to come close to it
    batch = worst.sample_batch(np.random.default_rng(0), 2000, 5, 5)
    errors = [np.mean(t.test[1] ** 2) for t in batch]
    assert max(errors) <= worst.zero_error_bound and max(errors) > 0.8 * worst.zero_error_bound


def test_mean_ci95():
    values = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 4.0], [7.0, 8.0]])
    mean, half = evaluate.mean_ci95(values)
    np.testing.assert_allclose(mean, [4.0, 5.0])
    np.testing.assert_allclose(half, 1.96 * np.sqrt([5.0, 5.0]) / 2.0)  # population std of 4, / √4


def test_zoo_round_trip(tmp_path, monkeypatch):
    monkeypatch.setattr(zoo, "WEIGHTS", tmp_path / "weights")
    model = models.MLP((1, 5, 1), "tanh")
    theta = model.init(np.random.default_rng(0))
    info = {"method": "maml", "iterations": 3, "inner": {"lr": 0.01, "steps": 1}}
    zoo.save("tiny", model, theta, info)
    assert (tmp_path / "weights" / "tiny.npz").exists()  # save follows zoo.WEIGHTS, as load does
    assert zoo.available() == ["tiny"]
    zoo.save("other", model, theta, info, directory=tmp_path / "elsewhere")
    assert (tmp_path / "elsewhere" / "other.npz").exists() and zoo.available() == ["tiny"]
    loaded_model, loaded_theta, loaded_info = zoo.load("tiny")
    assert loaded_model.sizes == (1, 5, 1) and loaded_model.activation == "tanh"
    np.testing.assert_array_equal(loaded_theta, theta)
    assert loaded_theta.dtype == np.float64 and loaded_info == info
    loaded_theta[:] = 0.0  # the caller owns the array it got: the stored file is unaffected
    np.testing.assert_array_equal(zoo.load("tiny")[1], theta)
    with pytest.raises(ValueError, match="name must be one of \\['tiny'\\]"):
        zoo.load("nonexistent")
    elsewhere = zoo.load("other", directory=tmp_path / "elsewhere")   # load reads where save wrote
    np.testing.assert_array_equal(elsewhere[1], theta)
    assert elsewhere[0].sizes == (1, 5, 1) and elsewhere[2] == info
    assert zoo.available(tmp_path / "elsewhere") == ["other"]
    with pytest.raises(ValueError, match="name must be one of \\['other'\\]"):
        zoo.load("tiny", directory=tmp_path / "elsewhere")


def test_zoo_stores_non_finite_info_as_null(tmp_path):
    model = models.MLP((1, 3, 1), "relu")
    info = {"mse": {"10": {"mse": np.inf, "ci95": np.nan}}, "draws": [0.3, np.inf]}
    zoo.save("diverged", model, model.init(np.random.default_rng(0)), info, directory=tmp_path)
    expected = {"mse": {"10": {"mse": None, "ci95": None}}, "draws": [0.3, None]}
    assert zoo.load("diverged", directory=tmp_path)[2] == expected


def test_numpy_numbers_in_a_weight_files_info_are_stored_as_plain_numbers(tmp_path):
    model = models.MLP((1, 4, 1), "tanh")
    info = {"iterations": np.int64(3), "score": np.float32(0.5), "curve": np.array([1.0, np.inf])}
    zoo.save("x", model, model.init(np.random.default_rng(1)), info, tmp_path)
    assert zoo.load("x", directory=tmp_path)[2] == {"iterations": 3, "score": 0.5,
                                                    "curve": [1.0, None]}


def test_shipped_models_load():
    """Whatever the package ships is a loadable MLP with finite parameters and strict-JSON info."""
    for name in zoo.available():
        model, theta, info = zoo.load(name)
        assert theta.shape == (model.size,) and np.all(np.isfinite(theta))
        assert isinstance(info, dict)
        with np.load(zoo.WEIGHTS / f"{name}.npz") as f:
            json.loads(str(f["info"]), parse_constant=lambda token, n=name: pytest.fail(
                f"{n}'s info holds {token}"))


def test_grid_meta_loss_accepts_tasks_with_distinct_query_sets():
    points = landscape.grid(n=2)
    task = Task(LINES[0].data, LINES[1].data)
    total, (only,) = landscape.grid_meta_loss(tasks.softplus_line_loss, [task], points, 0.02, 1)
    theta = points[:, 1, 0]
    phi = mk.adapt(tasks.softplus_line_loss, theta, LINES[0].data, 0.02, 1)
    expected = tasks.softplus_line_loss(phi, LINES[1].data)
    assert total[1, 0] == pytest.approx(expected, rel=1e-12) and only[1, 0] == total[1, 0]
