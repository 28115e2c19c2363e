"""Lesson 00's demo and figures compute the right things: the true curve A·sin(x − ψ) (the article
wrote x + ψ), support points on it, fine-tuned predictions equal to plain SGD from the shipped
models, reproducible samples; the learner's clicks place and remove exactly the points the networks
are fine-tuned on (at most 10, inside the axes, none lost during a redraw), and the article's
half-range experiment comes out as it says; and they show them readably (ψ in labels, a line style
per method, button labels in full)."""
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backend_bases import MouseButton, MouseEvent
from matplotlib.lines import Line2D

from mamlkit import adapt, tasks, zoo
from mamlkit.demos import sinusoid
from mamlkit.inner import inner_loop
from mamlkit.plotting import LABELS, STYLES
from widget_drive import control_values, mouse


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


def click(demo, x, y):
    """A learner's click at data point (x, y) of the demo's plot."""
    mouse(demo, "press", 0, x, y)


def place(demo, xs, ys):
    """Clear the plot, then click at each (x, y)."""
    demo.buttons["clear"].click()
    for x, y in zip(xs, ys):
        click(demo, x, y)


def readout(demo, name):
    """(MSE before, MSE after) of model ``name`` as the figure's text beside the plot shows them."""
    text = demo.fig.axes[0].texts[0].get_text()
    before, after = text.split(f"\n{LABELS[name]} ")[1].split("\n")[0].split(" → ")
    return float(before), float(after)


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
        truth = 1.5 * np.sin(grid - 0.7)
        mse = [np.mean((fit - truth) ** 2) for fit in (before, after)]
        np.testing.assert_allclose(readout(demo, name), mse, atol=0.005)
        assert f"{LABELS[name]} {mse[0]:.2f} → {mse[1]:.2f}" in demo.message_text
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


def test_random_points_button_is_reproducible():
    first, second = sinusoid.sinusoid_fit(), sinusoid.sinusoid_fit()
    before = samples(first)
    np.testing.assert_array_equal(before, samples(second))
    for demo in (first, second):
        demo.buttons["random points"].click()
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
    for button in demo.buttons.values():
        assert button.layout.width == "auto"  # not "random poi…"


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


def test_a_click_adds_a_point_and_a_click_on_a_point_removes_it(demo):
    random = samples(demo)
    click(demo, 1.0, 2.0)  # the random points become the learner's, and one more
    np.testing.assert_allclose(samples(demo), np.vstack([random, [1.0, 2.0]]), atol=1e-9)
    assert demo.controls["k"].disabled and "your 6 points" in demo.fig.axes[0].get_title()
    click(demo, 1.03, 2.03)  # a few pixels off the point: it goes
    np.testing.assert_allclose(samples(demo), random)
    click(demo, *random[2])
    np.testing.assert_allclose(samples(demo), np.delete(random, 2, axis=0))
    for point in samples(demo):  # removing every point
        click(demo, *point)
    assert samples(demo).shape == (0, 2) and demo.last_error is None
    click(demo, 1.0, 2.0)
    click(demo, 1.5, 2.0)  # half a unit (about 30 pixels) away: a second point
    np.testing.assert_allclose(samples(demo), [[1.0, 2.0], [1.5, 2.0]], atol=1e-9)


def test_the_eleventh_point_is_refused_with_a_message(demo):
    xs = np.linspace(-4.5, 4.5, 10)
    place(demo, xs, np.zeros(10))
    assert len(samples(demo)) == 10 and "At most" not in demo.message_text
    click(demo, 0.0, 3.0)
    assert len(samples(demo)) == 10 and demo.last_error is None
    assert demo.message_text.startswith("At most 10 points: click on one to remove it")
    click(demo, xs[0], 0.0)
    click(demo, 0.0, 3.0)  # now there is room
    np.testing.assert_allclose(samples(demo)[-1], [0.0, 3.0], atol=1e-9)
    assert "At most" not in demo.message_text


def test_clicks_outside_the_plot_change_nothing(demo):
    click(demo, 1.0, 2.0)
    before, message = samples(demo), demo.message_text
    ax = demo.fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    corner = ax.get_window_extent()
    for px, py in [(2, 2), ((legend.x0 + legend.x1) / 2, (legend.y0 + legend.y1) / 2),
                   (corner.x0 - 5, corner.y1 - 5), (corner.x1 + 3, corner.y0 + 3),
                   (corner.x0 + 5, corner.y0 - 5), (corner.x0 + 5, corner.y1 + 5)]:
        mouse(demo, "press", None, px, py)
        np.testing.assert_array_equal(samples(demo), before)
        assert demo.message_text == message and demo.last_error is None
    # a double click in the plot sends two clicks (add, remove), then a third event marked dblclick
    event = MouseEvent("button_press_event", demo.fig.canvas, *ax.transData.transform((0, 0)),
                       button=MouseButton.LEFT, dblclick=True)
    demo.fig.canvas.callbacks.process(event.name, event)
    np.testing.assert_array_equal(samples(demo), before)


def test_corner_clicks_stay_in_the_plotted_range_and_draw_finite_numbers(demo):
    demo.buttons["clear"].click()
    ax = demo.fig.axes[0]
    for x, y in [(-5, -6), (-5, 6), (5, -6), (5, 6), (-4.999, 5.999), (4.999, -5.999)]:
        demo.update(amplitude=5.0, steps=10)
        click(demo, x, y)
        assert demo.last_error is None
        points = samples(demo)
        assert np.all(np.abs(points) <= [5, 6]), points
        for line in ax.lines:
            assert np.all(np.isfinite(line.get_xydata()))
        assert (ax.get_xlim(), ax.get_ylim()) == ((-5.0, 5.0), (-6.0, 6.0))
    assert len(points) >= 2  # the corners just inside at least
    # an event in the plot whose data point lies beyond it (a pixel's rounding at the edge)
    event = MouseEvent("button_press_event", demo.fig.canvas, *ax.transData.transform((0, 0)),
                       button=MouseButton.LEFT)
    event.xdata, event.ydata = 5.2, -6.3
    demo.fig.canvas.callbacks.process(event.name, event)
    np.testing.assert_array_equal(samples(demo)[-1], [5.0, -6.0])


def test_clear_and_random_points(demo):
    demo.update(k=3)
    click(demo, 0.0, 1.0)
    demo.buttons["clear"].click()
    assert samples(demo).shape == (0, 2) and demo.last_error is None
    assert demo.message_text.startswith("No support points: click in the plot")
    for name in sinusoid.MODELS:  # nothing to fine-tune on
        np.testing.assert_array_equal(curve(demo, name, "after").get_ydata(),
                                      curve(demo, name, "before").get_ydata())
    demo.buttons["random points"].click()
    points = samples(demo)
    assert points.shape == (3, 2) and not demo.controls["k"].disabled
    np.testing.assert_allclose(points[:, 1], 2.0 * np.sin(points[:, 0] - np.pi / 2), atol=1e-12)
    demo.update(amplitude=4.0)  # random points follow the sliders again
    np.testing.assert_allclose(samples(demo)[:, 1], 4.0 * np.sin(points[:, 0] - np.pi / 2))


def test_placed_points_stay_and_the_mse_is_against_the_sliders_curve(demo):
    place(demo, [-2.0, 0.5, 3.0], [1.0, -2.0, 0.5])
    demo.update(amplitude=3.0, phase=1.0, k=8, steps=4)
    np.testing.assert_allclose(samples(demo), [[-2.0, 1.0], [0.5, -2.0], [3.0, 0.5]], atol=1e-9)
    grid, truth = curve(demo, "true").get_xydata().T
    np.testing.assert_allclose(truth, 3.0 * np.sin(grid - 1.0))
    assert "against the true curve of A = 3.00, ψ = 1.00" in demo.message_text
    assert "K counts only for random points" in demo.message_text
    for name in sinusoid.MODELS:
        mse = np.mean((curve(demo, name, "after").get_ydata() - truth) ** 2)
        assert readout(demo, name)[1] == pytest.approx(mse, abs=0.005)


@pytest.mark.parametrize("steps", [1, 7, 10])
def test_fits_equal_a_direct_inner_loop_on_the_placed_points(demo, steps):
    x, y = np.array([[-4.2, 0.3, 1.1, 2.8], [1.5, -0.7, 2.2, -3.1]])
    place(demo, x, y)
    demo.update(steps=steps)
    data = tuple(samples(demo).T[:, :, None])
    np.testing.assert_allclose(data, (x[:, None], y[:, None]), atol=1e-12)
    for name in sinusoid.MODELS:
        model, theta, _ = zoo.load(name)
        phi = inner_loop(model.loss, theta, data, 0.01, steps)
        np.testing.assert_allclose(curve(demo, name, "after").get_ydata(),
                                   model.apply(phi, sinusoid.X_GRID)[:, 0], atol=1e-10)


def test_maml_recovers_the_half_of_the_curve_without_points(demo):
    """The article's experiment: every point in x < 0; after 10 steps MAML's curve on x > 0 is far
    nearer the truth than the pretrained network's (measured: MSE 0.21 against 2.27)."""
    demo.update(amplitude=3.0, phase=1.0, steps=10)
    xs = np.linspace(-4.5, -0.5, 5)
    place(demo, xs, 3.0 * np.sin(xs - 1.0))
    assert len(samples(demo)) == 5
    grid, truth = curve(demo, "true").get_xydata().T
    empty = grid > 0
    error = {name: np.mean((curve(demo, name, "after").get_ydata() - truth)[empty] ** 2)
             for name in sinusoid.MODELS}
    assert error["maml"] < error["pretrained"] / 3, error


def test_a_click_during_a_redraw_is_taken_in(demo, monkeypatch):
    demo.buttons["clear"].click()
    sent = []

    def clicking_inner_loop(*args, **kwargs):  # a second click while the networks fine-tune
        if not sent:
            sent.append(mouse(demo, "press", 0, 2.0, -1.0))
        return inner_loop(*args, **kwargs)

    monkeypatch.setattr(sinusoid, "inner_loop", clicking_inner_loop)
    click(demo, -1.0, 1.0)
    assert sent and demo.last_error is None
    np.testing.assert_allclose(samples(demo), [[-1.0, 1.0], [2.0, -1.0]], atol=1e-9)
    data = tuple(samples(demo).T[:, :, None])
    model, theta, _ = zoo.load("maml")
    phi = inner_loop(model.loss, theta, data, 0.01, 1)
    np.testing.assert_allclose(curve(demo, "maml", "after").get_ydata(),
                               model.apply(phi, sinusoid.X_GRID)[:, 0], atol=1e-10)
