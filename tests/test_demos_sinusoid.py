"""Lesson 00's demo and figures compute the right things: the true curve A·sin(x − ψ) (the article
wrote x + ψ), support points on it, fine-tuned predictions equal to plain SGD from the shipped
models, reproducible samples; and they show them readably (ψ in labels, a line style per method, a
button label in full)."""
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.lines import Line2D

from mamlkit import adapt, zoo
from mamlkit.demos import sinusoid
from mamlkit import tasks
from mamlkit.plotting import LABELS, STYLES
from widget_drive import control_values


@pytest.fixture
def demo():
    return sinusoid.sinusoid_fit()


def samples(demo):
    return np.array(demo.fig.axes[0].collections[0].get_offsets())


def curve(demo, name="true", when=None):
    """The drawn true curve, or model ``name``'s curve ``when`` ("before" or "after" the steps)."""
    true, *models = demo.fig.axes[0].lines  # drawn in this order
    keys = [(model, moment) for model in sinusoid.MODELS for moment in ("before", "after")]
    return true if name == "true" else dict(zip(keys, models))[name, when]


def legend_entry(demo, name, when):
    """The legend text of model ``name``'s curve ``when``."""
    texts = [t.get_text() for t in demo.fig.axes[0].get_legend().get_texts()]
    return next(t for t in texts if t.startswith(f"{LABELS[name]} {when} "))


def test_true_curve_is_a_sin_x_minus_phase(demo):
    demo.update(amplitude=3.0, phase=1.0)
    x, y = curve(demo, "true").get_xydata().T
    np.testing.assert_allclose(x, np.linspace(-5, 5, len(x)))
    np.testing.assert_allclose(y, 3.0 * np.sin(x - 1.0), atol=1e-12)
    assert np.max(np.abs(y - 3.0 * np.sin(x + 1.0))) > 1.0  # the article's x + φ: another curve


@pytest.mark.parametrize("k", [1, 5, 10])
def test_k_support_points_lie_on_the_true_curve(demo, k):
    demo.update(amplitude=4.5, phase=2.5, k=k)
    points = samples(demo)
    assert points.shape == (k, 2)
    np.testing.assert_allclose(points[:, 1], 4.5 * np.sin(points[:, 0] - 2.5), atol=1e-12)
    assert np.all(np.abs(points[:, 0]) <= 5)


@pytest.mark.parametrize("steps", [0, 1, 10])
def test_predictions_are_sgd_from_the_shipped_models(demo, steps):
    demo.update(amplitude=1.5, phase=0.7, k=5, steps=steps)
    x, y = samples(demo).T
    grid = curve(demo, "true").get_xdata()
    for name in sinusoid.MODELS:
        model, theta, _ = zoo.load(name)
        phi = adapt(model.loss, theta, (x[:, None], y[:, None]), 0.01, steps)
        before = curve(demo, name, "before").get_ydata()
        after = curve(demo, name, "after").get_ydata()
        np.testing.assert_allclose(before, model.apply(theta, grid[:, None])[:, 0], atol=1e-10)
        np.testing.assert_allclose(after, model.apply(phi, grid[:, None])[:, 0], atol=1e-10)
        mse = np.mean((after - 1.5 * np.sin(grid - 0.7)) ** 2)
        assert f"(MSE {mse:.2f})" in legend_entry(demo, name, "after")
    if steps == 0:
        np.testing.assert_array_equal(curve(demo, "maml", "before").get_ydata(),
                                      curve(demo, "maml", "after").get_ydata())


def test_more_steps_fit_the_samples_better(demo):
    demo.update(amplitude=3.0, phase=1.0, k=10, steps=0)
    x, y = samples(demo).T
    grid = curve(demo, "true").get_xdata()
    errors = []
    for steps in (0, 10):
        demo.update(steps=steps)
        fit = np.interp(x, grid, curve(demo, "maml", "after").get_ydata())
        errors.append(np.mean((fit - y) ** 2))
    assert errors[1] < errors[0]


def test_new_samples_button_is_reproducible():
    first, second = sinusoid.sinusoid_fit(), sinusoid.sinusoid_fit()
    before = samples(first)
    np.testing.assert_array_equal(before, samples(second))
    for demo in (first, second):
        demo.buttons["new random samples"].click()
    after = samples(first)
    assert not np.allclose(after, before)
    np.testing.assert_array_equal(after, samples(second))
    first.update(k=10)
    np.testing.assert_array_equal(samples(first)[:5], after)  # more points keep the ones drawn


def test_extremes_are_finite_and_axes_fixed(demo):
    limits = (demo.fig.axes[0].get_xlim(), demo.fig.axes[0].get_ylim())
    assert limits == ((-5.0, 5.0), (-6.0, 6.0))
    for name, control in demo.controls.items():
        for value in control_values(control, n=2):
            demo.update(**{name: value})
            assert demo.last_error is None, (name, value, demo.last_error)
            for line in demo.fig.axes[0].lines:
                assert np.all(np.isfinite(line.get_xydata()))
            assert (demo.fig.axes[0].get_xlim(), demo.fig.axes[0].get_ylim()) == limits


def test_labels_say_psi_and_the_button_shows_its_whole_label(demo):
    assert demo.controls["phase"].description == "phase ψ"
    demo.update(amplitude=3.0, phase=1.0)
    assert "ψ = 1.00" in demo.fig.axes[0].get_title()
    assert "φ" not in demo.fig.axes[0].get_title() + curve(demo, "true").get_label()
    assert demo.buttons["new random samples"].layout.width == "auto"  # not "new random sam…"


def test_methods_differ_by_line_style_not_only_colour(demo):
    for name in sinusoid.MODELS:
        for when in ("before", "after"):
            line = curve(demo, name, when)
            assert line.get_linestyle() == Line2D([], [], ls=STYLES[name]).get_linestyle()
    assert curve(demo, "pretrained", "after").get_linestyle() != curve(
        demo, "maml", "after").get_linestyle()


def test_static_figures_draw_what_they_are_given():
    family, x = tasks.Sinusoid(), sinusoid.X_GRID[:, 0]
    fig = sinusoid.tasks_picture(family, seed=0)
    assert len(fig.axes) == 2
    plt.close(fig)
    predictions = {"pretrained": np.cos(x), "maml": np.sin(x)}
    fig = sinusoid.networks_picture(x, -np.cos(x), predictions, [np.zeros_like(x)])
    drawn = {line.get_label(): line for line in fig.axes[0].lines}
    np.testing.assert_array_equal(drawn["MAML network, before adapting"].get_ydata(), np.sin(x))
    plt.close(fig)
    support = (np.array([[0.0], [1.0]]), np.array([[0.5], [0.2]]))
    fits = {name: {0: (np.cos(x), 1.0), 10: (np.sin(x), 0.25)} for name in sinusoid.MODELS}
    fig = sinusoid.fine_tuning_picture(x, np.sin(x), support, fits)
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels == ["true curve", "0 steps (MSE 1.00)", "10 steps (MSE 0.25)"]
    plt.close(fig)
    curves = {"pretrained": np.tile([3.0, 2.0, 1.5], (5, 1)),
              "maml": np.tile([3.0, 0.5, 0.4], (5, 1))}
    curves["maml"][0] = [3.0, 0.5, 1e20]  # one runaway task does not move the median
    fig = sinusoid.adaptation_picture(curves, ("reference", 2.5))
    medians = [line.get_ydata() for line in fig.axes[0].lines[:2]]
    np.testing.assert_array_equal(medians[1], [3.0, 0.5, 0.4])
    np.testing.assert_array_equal(medians[0], [3.0, 2.0, 1.5])
    plt.close(fig)
