"""The curvature explorer draws ∇f = C(θ − ½) + g and g themselves, each component from its own
coordinate (article error 1: both y-components were taken from θ_x, and θ − ∇f was drawn instead
of ∇f)."""
import autograd
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.quiver import Quiver

from mamlkit.demos.curvature_explorer import (DEFAULTS, G, LEVELS, angle_and_ratio,
                                              curvature_explorer, gradients)
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


@pytest.mark.parametrize("a, b, c, theta", [
    (0.5, -0.1, 0.0, (0.3, 0.1)),   # the article's defaults
    (0.2, 0.35, -0.4, (0.8, 0.15)),
    (-0.5, 0.5, 0.5, (0.05, 0.9)),
])
def test_arrows_are_the_two_gradients(demo, a, b, c, theta):
    demo.update(a=a, b=b, c=c, theta_x=theta[0], theta_y=theta[1])
    assert demo.last_error is None
    C = np.array([[a, b], [b, c]])
    theta = np.array(theta)
    expected = {"true": C @ (theta - 0.5) + G, "first_order": G}
    for name, quiver in arrows(demo).items():
        tail, vector = drawn(quiver)
        np.testing.assert_array_equal(tail, theta)
        np.testing.assert_allclose(vector, expected[name], rtol=0, atol=1e-15)
        # the arrow is the gradient itself: tip = θ + ∇f in data units
        assert (quiver.angles, quiver.scale_units, quiver.scale) == ("xy", "xy", 1.0)


def test_gradients_match_autograd_and_not_the_article_slip():
    a, b, c, theta = 0.2, 0.35, -0.4, np.array([0.8, 0.15])
    true, first_order = gradients(a, b, c, theta)
    C = np.array([[a, b], [b, c]])
    np.testing.assert_allclose(true, autograd.grad(quadratic_loss)(theta, (C, G)), rtol=0,
                               atol=1e-15)
    np.testing.assert_array_equal(first_order, G)
    article_y = b * (theta[0] - 0.5) + c * (theta[0] - 0.5) + G[1]  # y-component from θ_x
    assert abs(true[1] - article_y) > 0.1


def test_default_message_reports_angle_and_ratio(demo):
    demo.update(**DEFAULTS)
    message = demo.message_text
    true = np.array([0.04, -0.08])  # C(θ − ½) + g at the defaults, worked by hand
    angle = np.degrees(np.arccos(true @ G / (np.linalg.norm(true) * np.linalg.norm(G))))
    assert f"{angle:.1f}°" in message
    assert f"{np.linalg.norm(true) / np.linalg.norm(G):.2f}" in message


def test_zero_curvature_button_makes_them_coincide(demo):
    demo.update(**DEFAULTS)
    demo.buttons["C = 0"].click()
    assert (demo.values["a"], demo.values["b"], demo.values["c"]) == (0.0, 0.0, 0.0)
    found = arrows(demo)
    np.testing.assert_array_equal(drawn(found["true"])[1], drawn(found["first_order"])[1])
    assert "coincide" in demo.message_text
    assert angle_and_ratio(*gradients(0, 0, 0, (0.3, 0.1)))[0] == 0.0


def test_zero_gradient_has_a_readable_message(demo):
    # C = ½ I and θ = ½ − 2g: ∇f = ½(θ − ½) + g = 0
    demo.update(a=0.5, b=0.0, c=0.5, theta_x=0.3, theta_y=0.7)
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
