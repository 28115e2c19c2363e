"""The curvature explorer draws ∇f = C(θ − ½) + g and g themselves from θ = (a, b), each component
from its own coordinate (article error 1: both second components were taken from a, and θ − ∇f was
drawn instead of ∇f), at one common scale that keeps both arrows visible and inside the axes."""
import autograd
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.quiver import Quiver

from mamlkit.demos.curvature_explorer import (DEFAULTS, G, LEVELS, SCALE, VIEW, angle_and_ratio,
                                              arrow_scale, curvature_explorer, curvature_panels,
                                              gradients)
from mamlkit.plotting import COLORS
from mamlkit.tasks import quadratic_loss


@pytest.fixture(scope="module")
def demo():
    return curvature_explorer()


def arrows(demo):
    """{"true": quiver, "first_order": quiver}, told apart by their colours (MAML red, FOMAML
    orange)."""
    found = {}
    for artist in demo.fig.axes[0].collections:
        if isinstance(artist, Quiver):
            colour = tuple(artist.get_facecolor()[0])
            name = {to_rgba(COLORS["maml"]): "true",
                    to_rgba(COLORS["fomaml"]): "first_order"}[colour]
            found[name] = artist
    assert set(found) == {"true", "first_order"}
    return found


def drawn(quiver):
    """(tail, vector) of a one-arrow quiver."""
    return np.asarray(quiver.get_offsets())[0], np.array([quiver.U[0], quiver.V[0]])


def inside(point, view=VIEW):
    return view[0] <= point[0] <= view[1] and view[2] <= point[1] <= view[3]


@pytest.mark.parametrize("c11, c12, c22, theta", [
    (0.4, -0.1, 0.0, (0.3, 0.1)),   # the defaults
    (0.2, 0.35, -0.4, (0.8, 0.15)),
    (-0.5, 0.5, 0.5, (0.05, 0.9)),
    (0.5, 0.5, 0.5, (1.0, 1.0)),    # the longest gradient, pointing out of the corner
])
def test_arrows_are_the_two_gradients_at_one_scale_inside_the_axes(demo, c11, c12, c22, theta):
    demo.update(c11=c11, c12=c12, c22=c22, theta_a=theta[0], theta_b=theta[1])
    assert demo.last_error is None
    C = np.array([[c11, c12], [c12, c22]])
    theta = np.array(theta)
    expected = {"true": C @ (theta - 0.5) + G, "first_order": G}
    found = arrows(demo)
    scales = {quiver.scale for quiver in found.values()}
    assert len(scales) == 1  # one factor for both: their ratio of lengths is the true one
    s = 1.0 / scales.pop()
    assert 0 < s <= SCALE and f"×{s:.1f}" in demo.message_text
    for name, quiver in found.items():
        tail, vector = drawn(quiver)
        np.testing.assert_array_equal(tail, theta)
        np.testing.assert_allclose(vector, expected[name], rtol=0, atol=1e-15)
        assert (quiver.angles, quiver.scale_units) == ("xy", "xy")
        assert inside(theta + s * vector)  # the tip (θ + s ∇f) is never clipped


def test_arrows_are_clearly_visible_at_the_defaults(demo):
    demo.update(**DEFAULTS)
    ax, found = demo.fig.axes[0], arrows(demo)
    for quiver in found.values():
        tail, vector = drawn(quiver)
        tip = tail + vector / quiver.scale
        pixels = np.linalg.norm(np.diff(ax.transData.transform([tail, tip]), axis=0))
        assert pixels > 70, pixels


def test_the_default_sits_inside_every_slider_range(demo):
    for name, control in demo.controls.items():
        assert control.min < DEFAULTS[name] < control.max, name
        assert control.value == DEFAULTS[name]
    assert [control.description for control in demo.controls.values()] == [
        "c₁₁", "c₁₂", "c₂₂", "θ: a", "θ: b"]


def test_arrow_scale_shrinks_only_to_fit():
    assert arrow_scale((0.5, 0.5), [G]) == SCALE
    s = arrow_scale((1.0, 0.0), [np.array([0.5, 0.0]), np.array([0.0, -0.5])])
    assert np.isclose(s, (VIEW[1] - 0.01 - 1.0) / 0.5)


def test_static_panels_scale_their_arrows_the_same_way():
    settings = [("defaults", 0.4, -0.1, 0.0, (0.3, 0.1)), ("C = 0", 0.0, 0.0, 0.0, (0.3, 0.1))]
    fig = curvature_panels(settings)
    for ax, (_, c11, c12, c22, theta) in zip(fig.axes, settings):
        quivers = [a for a in ax.collections if isinstance(a, Quiver)]
        s = arrow_scale(theta, gradients(c11, c12, c22, theta))
        assert [q.scale for q in quivers] == [1.0 / s, 1.0 / s]


def test_gradients_match_autograd_and_not_the_article_slip():
    c11, c12, c22, theta = 0.2, 0.35, -0.4, np.array([0.8, 0.15])
    true, first_order = gradients(c11, c12, c22, theta)
    C = np.array([[c11, c12], [c12, c22]])
    np.testing.assert_allclose(true, autograd.grad(quadratic_loss)(theta, (C, G)), rtol=0,
                               atol=1e-15)
    np.testing.assert_array_equal(first_order, G)
    article_b = c12 * (theta[0] - 0.5) + c22 * (theta[0] - 0.5) + G[1]  # second component from a
    assert abs(true[1] - article_b) > 0.1


def test_default_message_reports_angle_and_ratio(demo):
    demo.update(**DEFAULTS)
    message = demo.message_text
    true = np.array([0.06, -0.08])  # C(θ − ½) + g at the defaults, worked by hand
    angle = np.degrees(np.arccos(true @ G / (np.linalg.norm(true) * np.linalg.norm(G))))
    assert f"{angle:.1f}°" in message
    assert f"{np.linalg.norm(true) / np.linalg.norm(G):.2f}" in message


def test_zero_curvature_button_makes_them_coincide(demo):
    demo.update(**DEFAULTS)
    demo.buttons["C = 0"].click()
    assert (demo.values["c11"], demo.values["c12"], demo.values["c22"]) == (0.0, 0.0, 0.0)
    found = arrows(demo)
    np.testing.assert_array_equal(drawn(found["true"])[1], drawn(found["first_order"])[1])
    assert "coincide" in demo.message_text
    assert angle_and_ratio(*gradients(0, 0, 0, (0.3, 0.1)))[0] == 0.0


def test_zero_gradient_has_a_readable_message(demo):
    # C = ½ I and θ = ½ − 2g: ∇f = ½(θ − ½) + g = 0
    demo.update(c11=0.5, c12=0.0, c22=0.5, theta_a=0.3, theta_b=0.7)
    message = demo.message_text
    assert demo.last_error is None
    assert "undefined" in message
    assert angle_and_ratio(np.zeros(2), G) == (None, 0.0)
    vector = drawn(arrows(demo)["true"])[1]
    assert np.all(np.isfinite(vector)) and np.linalg.norm(vector) < 1e-12


def test_sweep_keeps_axes_and_levels_fixed(demo):
    ax = demo.fig.axes[0]
    limits = (ax.get_xlim(), ax.get_ylim())
    for name, control in demo.controls.items():
        for value in (control.min, control.max, 0.5 * (control.min + control.max)):
            demo.update(**{name: value})
            assert demo.last_error is None, demo.last_error
            assert (ax.get_xlim(), ax.get_ylim()) == limits
            filled = [c for c in ax.collections if hasattr(c, "levels") and c.filled]
            assert len(filled) == 1 and np.array_equal(filled[0].levels, LEVELS)
    demo.update(**DEFAULTS)
