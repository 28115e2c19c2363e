"""The comparison widget: every method's arrow is −rate × its meta-gradient, iMAML gets its steps
and λ from the right controls (the article swapped them), degenerate settings hide an arrow with a
message, contours are right."""
import numpy as np
import pytest

import mamlkit
from mamlkit import landscape, meta
from mamlkit.demos.base import quantile_levels
from mamlkit.demos.comparison import (
    CONTOURS,
    DEFAULTS,
    EXTENT,
    LOSS,
    MAX_STEPS,
    METHODS,
    TRUE_PARAMS,
    comparison_tasks,
    contour_values,
    meta_gradient_comparison,
)
from mamlkit.inner import inner_loop
from widget_drive import DEMOS

TASKS = [problem.task for problem in comparison_tasks()]
POINTS = landscape.grid(EXTENT, n=40)  # the demo's grid


def largest_curvature(theta, tasks):
    """h_max, the largest Hessian eigenvalue of any task's loss at θ: on a quadratic, plain steps of
    rate α contract only when α h_max < 2, proximal steps only when α (λ + h_max) < 2."""
    return max(np.linalg.eigvalsh(mamlkit.hessian(LOSS, theta, task.train))[-1] for task in tasks)


@pytest.fixture(scope="module")
def demo():
    return meta_gradient_comparison()


@pytest.fixture
def fresh():
    return meta_gradient_comparison()


def expected_arrow(method, theta, outer, lr, steps, lam=None):
    hyper = {"lr": lr, "steps": steps} | ({"lam": lam} if method == "imaml" else {})
    return -outer * mamlkit.meta_gradient(method, LOSS, np.asarray(theta, float), TASKS, **hyper)


def test_listed_and_defaults_are_the_articles(demo):
    assert DEMOS["meta_gradient_comparison"] is meta_gradient_comparison
    values = demo.values
    assert (values["theta_a"], values["theta_b"]) == (0.5, 0.9)
    for m in METHODS:
        assert values[f"{m}_on"] is True
        for field, value in DEFAULTS[m].items():
            assert values[f"{m}_{field}"] == pytest.approx(value)
    assert (DEFAULTS["maml"], DEFAULTS["reptile"]["outer"], DEFAULTS["imaml"]["lam"]) == (
        {"outer": 0.03, "lr": 0.04, "steps": 1}, 0.3, 2.0)
    assert [t.true_theta.tolist() for t in comparison_tasks()] == [[0, 0], [1, 0], [0.2, 0],
                                                                   [0.5, 0.2]]
    assert all(t.data[0].size == 10 for t in comparison_tasks())


def test_default_arrows_are_minus_rate_times_meta_gradient(demo):
    demo.update(**{f"{m}_{f}": v for m in METHODS for f, v in DEFAULTS[m].items()}, theta_a=0.5,
                theta_b=0.9)
    assert demo.last_error is None
    for m in METHODS:
        np.testing.assert_allclose(demo.state["arrows"][m],
                                   expected_arrow(m, (0.5, 0.9), **DEFAULTS[m]),
                                    rtol=1e-12, atol=1e-15)
    # Reptile's arrow is β times the way to the mean adapted φ, so it points to θ + β(mean φ_i − θ).
    phis = [mamlkit.adapt(LOSS, np.array([0.5, 0.9]), t.train, 0.04, 5) for t in TASKS]
    np.testing.assert_allclose(demo.state["arrows"]["reptile"],
                               0.3 * (np.mean(phis, axis=0) - [0.5, 0.9]))
    assert "MAML (" in demo.message_text and "iMAML (" in demo.message_text


def test_imaml_steps_and_lambda_reach_imaml_grad_by_their_own_controls(fresh, monkeypatch):
    """Article error 2: its inner-steps slider set λ and its λ slider set the number of steps."""
    calls = []
    original = meta.METHODS["imaml"]

    def recording(loss, theta, task, lr, steps, lam, cg_steps=5):
        calls.append((lr, steps, lam))
        return original(loss, theta, task, lr, steps, lam, cg_steps)

    monkeypatch.setitem(meta.METHODS, "imaml", recording)
    fresh.update(imaml_steps=3, imaml_lam=7.0, imaml_lr=0.02)
    assert fresh.last_error is None
    assert calls and set(calls) == {(0.02, 3, 7.0)}
    calls.clear()
    fresh.update(imaml_lam=0.5)
    assert set(calls) == {(0.02, 3, 0.5)}  # λ moved, the step count did not
    calls.clear()
    fresh.update(imaml_steps=8)
    assert set(calls) == {(0.02, 8, 0.5)}  # steps moved, λ did not


def test_imaml_arrow_equals_direct_imaml_grad_calls_not_the_swapped_ones(fresh):
    fresh.update(imaml_steps=3, imaml_lam=7.0, imaml_lr=0.02, imaml_outer=0.05)
    theta = np.array([0.5, 0.9])
    direct = -0.05 * np.mean([mamlkit.imaml_grad(LOSS, theta, t, 0.02, 3, 7.0) for t in TASKS],
                             axis=0)
    swapped = -0.05 * np.mean([mamlkit.imaml_grad(LOSS, theta, t, 0.02, 7, 3.0) for t in TASKS],
                              axis=0)
    np.testing.assert_allclose(fresh.state["arrows"]["imaml"], direct, rtol=1e-12)
    assert np.linalg.norm(fresh.state["arrows"]["imaml"] - swapped) > 1e-3


def test_imaml_arrow_moves_with_lambda_and_steps_and_nothing_else_does(fresh):
    before = {m: a.copy() for m, a in fresh.state["arrows"].items()}
    fresh.update(imaml_lam=8.0)
    after_lam = {m: a.copy() for m, a in fresh.state["arrows"].items()}
    fresh.update(imaml_steps=10)
    assert np.linalg.norm(after_lam["imaml"] - before["imaml"]) > 1e-3
    assert not np.allclose(fresh.state["arrows"]["imaml"], after_lam["imaml"], rtol=1e-3, atol=0)
    for m in ("maml", "fomaml", "reptile"):
        np.testing.assert_array_equal(after_lam[m], before[m])
        np.testing.assert_array_equal(fresh.state["arrows"][m], before[m])


def test_each_methods_controls_drive_its_own_arrow(fresh):
    fresh.update(maml_steps=3, maml_lr=0.02, maml_outer=0.08, fomaml_steps=4, fomaml_lr=0.03,
                 reptile_outer=0.6, reptile_steps=2, theta_a=0.2, theta_b=0.4)
    theta = (0.2, 0.4)
    for m, outer, lr, steps in (("maml", 0.08, 0.02, 3), ("fomaml", 0.03, 0.03, 4),
                                ("reptile", 0.6, 0.04, 2)):
        np.testing.assert_allclose(fresh.state["arrows"][m],
                                   expected_arrow(m, theta, outer, lr, steps))


def test_arrows_are_drawn_scaled_but_reported_true(fresh):
    quiver = [c for c in fresh.fig.axes[0].collections if hasattr(c, "set_UVC")]
    for scale in (1, 5, 20):
        fresh.update(arrow_scale=scale)
        drawn = {(float(q.U[0]), float(q.V[0])) for q in quiver}
        for m in METHODS:
            true = tuple(scale * fresh.state["arrows"][m])
            assert any(np.allclose(true, d) for d in drawn)
        assert f"×{scale}" in fresh.fig.axes[0].get_title()
    np.testing.assert_allclose(fresh.state["arrows"]["maml"],
                               expected_arrow("maml", (0.5, 0.9), **DEFAULTS["maml"]))


def test_switched_off_method_is_hidden_and_not_computed(fresh, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a switched-off method must not be computed")

    monkeypatch.setitem(meta.METHODS, "maml", fail)
    fresh.update(maml_on=False, theta_a=0.3)
    assert fresh.last_error is None and fresh.state["arrows"]["maml"] is None
    quiver = fresh.fig.axes[0].collections
    assert "MAML (" not in fresh.message_text.replace("FOMAML", "").replace("iMAML", "")
    fresh.update(fomaml_on=False, reptile_on=False, imaml_on=False)
    assert "no method switched on" in fresh.message_text
    assert not any(q.get_visible() for q in quiver if hasattr(q, "set_UVC"))


def test_non_positive_definite_imaml_system_hides_the_arrow_with_a_message(fresh):
    # Near task 2's optimum task 3's loss has slightly negative curvature: with λ = 0.01, I + H/λ
    # is indefinite.
    fresh.update(theta_a=1.0, theta_b=0.0, imaml_lam=0.01, imaml_steps=1)
    message = fresh.message_text
    assert fresh.last_error is None
    assert fresh.state["arrows"]["imaml"] is None
    assert "not positive definite" in message and "raise λ" in message
    with pytest.raises(mamlkit.NotPositiveDefiniteError):
        mamlkit.meta_gradient("imaml", LOSS, np.array([1.0, 0.0]), TASKS, lr=0.04, steps=1,
                              lam=0.01)
    assert fresh.state["arrows"]["maml"] is not None  # the other methods are unaffected
    fresh.update(imaml_lam=2.0)
    assert fresh.state["arrows"]["imaml"] is not None


def test_proximal_inner_loop_converges_where_the_curvature_at_theta_says_it_would_overshoot(fresh):
    """At θ = (1.2, 1.2) with λ = 10 and α = 0.06, α(λ + h_max) ≥ 2 at θ, which on a quadratic would
    make the proximal steps oscillate outwards. Here the curvature changes as φ moves and every
    task's steps shrink, so the arrow is the real iMAML update and is drawn."""
    theta = np.array([1.2, 1.2])
    assert 0.06 * (10.0 + largest_curvature(theta, TASKS)) >= 2
    for task in TASKS:
        path = inner_loop(LOSS, theta, task.train, 0.06, MAX_STEPS, 10.0, path=True)
        step = np.linalg.norm(np.diff(path, axis=0), axis=1)
        assert step[-1] < 0.25 * step[0]
    fresh.update(theta_a=1.2, theta_b=1.2, imaml_lam=10.0, imaml_lr=0.06, imaml_steps=MAX_STEPS)
    assert fresh.last_error is None
    np.testing.assert_allclose(fresh.state["arrows"]["imaml"],
                               expected_arrow("imaml", theta, 0.03, 0.06, MAX_STEPS, 10.0),
                               rtol=1e-10)


@pytest.mark.parametrize("lr", [0.005, 0.06])
@pytest.mark.parametrize("lam", [0.01, 10.0])
def test_proximal_inner_loop_stays_bounded_over_the_sliders_ranges(lr, lam):
    """Why the demo hides no iMAML arrow for overshooting: at the ends of the α and λ sliders, from
    θ anywhere on the plotted square, every task's proximal loop stays finite and within the
    square's size of θ, for the slider's ten steps and for three times as many."""
    points = landscape.grid(EXTENT, 8)
    for task in TASKS:
        path = np.array(inner_loop(LOSS, points, task.train, lr, 3 * MAX_STEPS, lam, path=True))
        assert np.all(np.isfinite(path)) and np.all(np.linalg.norm(path - points, axis=1) < 2.0)


def test_plain_inner_rates_stay_stable_on_the_plotted_square():
    """The α slider stops at 0.06 because every task's curvature on the square is below 2 / 0.06."""
    corners = [np.array([a, b]) for a in np.linspace(EXTENT[0], EXTENT[1], 8)
               for b in np.linspace(EXTENT[2], EXTENT[3], 8)]
    assert max(largest_curvature(t, TASKS) for t in corners) * 0.06 < 2


def test_every_contour_is_finite_and_axes_stay_fixed(fresh):
    ax = fresh.fig.axes[0]
    limits = (ax.get_xlim(), ax.get_ylim())
    for _label, kind in CONTOURS:
        fresh.update(contour=kind)
        assert fresh.last_error is None
        assert np.all(np.isfinite(fresh.state["surface"]))
        assert (ax.get_xlim(), ax.get_ylim()) == limits


def test_meta_loss_contours_match_the_landscape_functions():
    points = landscape.grid(EXTENT, n=12)
    for steps in (0, 1, 4):
        total, _ = landscape.grid_meta_loss(LOSS, TASKS, points, 0.03, steps)
        for method in ("maml", "fomaml", "reptile"):
            np.testing.assert_allclose(contour_values(method, points, TASKS, 0.03, steps),
                                       total / 4, rtol=1e-12)
    np.testing.assert_allclose(contour_values("mean", points, TASKS),
                               sum(LOSS(points, t.train) for t in TASKS) / 4)
    np.testing.assert_allclose(contour_values("task2", points, TASKS), LOSS(points, TASKS[2].train))
    # iMAML's surface at one grid point: the query loss after proximal_adapt with λ.
    values = contour_values("imaml", points, TASKS, 0.03, 4, 2.5)
    theta = points[:, 5, 7]
    direct = np.mean([LOSS(mamlkit.proximal_adapt(LOSS, theta, t.train, 0.03, 4, 2.5), t.test)
                      for t in TASKS])
    assert values[5, 7] == pytest.approx(direct, rel=1e-12)


def test_contour_follows_the_chosen_methods_inner_settings(fresh):
    """The surfaces are cached per (α, λ) for every step count: deeper and back gives the same."""
    fresh.update(contour="imaml", imaml_steps=10)
    fresh.update(imaml_steps=3, imaml_lam=0.5)
    np.testing.assert_allclose(fresh.state["surface"],
                               contour_values("imaml", POINTS, TASKS, 0.04, 3, 0.5),
                               rtol=1e-12)
    fresh.update(contour="maml", maml_steps=4)
    maml = contour_values("maml", POINTS, TASKS, 0.04, 4)
    np.testing.assert_allclose(fresh.state["surface"], maml)
    fresh.update(fomaml_steps=7)  # another method's settings leave the MAML contour alone
    np.testing.assert_allclose(fresh.state["surface"], maml)


def test_levels_handle_a_flat_surface():
    assert quantile_levels(np.ones((3, 3)), 14).size == 2
    assert np.all(np.diff(quantile_levels(np.arange(100.0).reshape(10, 10), 14, 0.01, 0.97)) > 0)


def test_layout_puts_the_controls_beside_the_figure_one_box_per_method(demo):
    title, body, message = demo.widget.children
    figure, panel = body.children
    assert figure is demo.fig.canvas and message is demo.message
    boxes = panel.children[3:]  # after θ, the contour and the arrow scale
    assert [box.children[0].children[0].description for box in boxes] == ["MAML", "FOMAML",
                                                                           "Reptile", "iMAML"]
    placed = [w for box in panel.children for row in getattr(box, "children", [box])
              for w in getattr(row, "children", [row])]
    assert {id(w) for w in placed} == {id(c) for c in demo.controls.values()}  # each once
    assert demo.controls["arrow_scale"].layout.width == "auto"  # "×20" is not cut to "×…"


def test_no_arrow_hides_another(fresh):
    """At the defaults iMAML's arrow runs along MAML's: narrower arrows are drawn on top, and every
    arrow has its method's marker at its tip."""
    from mamlkit.plotting import MARKERS
    ax = fresh.fig.axes[0]
    quivers = [c for c in ax.collections if hasattr(c, "set_UVC")]
    widths = [q.width for q in quivers]
    assert widths == sorted(widths, reverse=True)
    assert [q.get_zorder() for q in quivers] == sorted(q.get_zorder() for q in quivers)
    tips = {line.get_marker(): line for line in ax.lines if line.get_animated()}
    theta = np.array([0.5, 0.9])
    for m in METHODS:
        tip = tips[MARKERS[m]]
        np.testing.assert_allclose(np.ravel(tip.get_xydata()), theta + 5 * fresh.state["arrows"][m])
    imaml, maml = fresh.state["arrows"]["imaml"], fresh.state["arrows"]["maml"]
    sine = abs(imaml[0] * maml[1] - imaml[1] * maml[0]) / np.linalg.norm(imaml) / np.linalg.norm(maml)
    assert sine < 0.02  # within about a degree of each other: one would hide the other
    fresh.update(maml_on=False)
    assert not tips[MARKERS["maml"]].get_visible()


def test_lesson06_exercises_use_the_comparisons_tasks():
    from mamlkit.exercises import lesson06
    assert lesson06.TRUE_PARAMS == TRUE_PARAMS
    for mine, theirs in zip(lesson06.TOY_TASKS, TASKS):
        for a, b in zip(mine.train + mine.test, theirs.train + theirs.test):
            np.testing.assert_array_equal(a, b)


def test_the_committed_costs_say_what_lesson_06_says():
    """Lesson 06 (section 5 and its verdict): FOMAML costs a fraction of MAML's time; iMAML's fixed
    extra cost weighs less against MAML's as the inner loop grows; MAML's memory grows with every
    inner step, iMAML's stays flat."""
    timing = mamlkit.zoo.results("meta_gradient")["tuned"]
    cpu = {k: {m: timing[k][m]["ms (CPU)"] for m in METHODS} for k in timing}
    assert all(cpu[k]["fomaml"] < 0.5 * cpu[k]["maml"] for k in cpu)
    assert cpu[5]["imaml"] / cpu[5]["maml"] < 1.1 < 2 < cpu[1]["imaml"] / cpu[1]["maml"]
    memory = {column: np.array(v) for column, v in mamlkit.zoo.results("memory").items()}
    maml_mb, imaml_mb = memory["MAML peak (MB)"], memory["iMAML peak (MB)"]
    assert np.all(np.diff(maml_mb) > 0) and maml_mb[-1] > 3 * maml_mb[0]
    assert imaml_mb.max() < 1.1 * imaml_mb.min()
