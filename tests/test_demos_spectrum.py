"""The Hessian-spectrum demo: what it draws is |1 − αλ| of the precomputed eigenvalues and
‖I − αH‖ᵏ, and axes stay fixed over the sliders' ranges."""
import numpy as np
import pytest

from mamlkit.demos import spectrum as demo_module
from mamlkit.spectrum import step_norm


@pytest.fixture(scope="module")
def demo():
    return demo_module.hessian_spectrum()


def test_drawn_values_follow_the_eigenvalues(demo):
    found = demo_module.spectra()
    ax_factor, ax_power = demo.fig.axes
    for lr, steps in ((1e-3, 1), (0.01, 5), (0.2, 10), (1.0, 3)):
        demo.update(lr=lr, steps=steps)
        assert demo.last_error is None, demo.last_error
        lr = demo.values["lr"]  # the log slider rounds to its step
        dots = [line for line in ax_factor.get_lines()
                if line.get_marker() in demo_module.MARKERS_AT.values()]
        assert len(dots) == len(found)
        for line, (bottom, top) in zip(dots, found.values()):
            values = np.concatenate((bottom, top))
            np.testing.assert_allclose(line.get_xdata(), values)
            np.testing.assert_allclose(line.get_ydata(), np.abs(1 - lr * values))
        solid = [line for line in ax_power.get_lines()
                 if line.get_linestyle() == "-" and line.get_marker() == "None"
                 and len(line.get_xdata()) == demo_module.MAX_STEPS + 1]
        assert len(solid) == len(found)
        for line, (bottom, top) in zip(solid, found.values()):
            norm = step_norm(bottom[0], top[-1], lr)
            np.testing.assert_allclose(line.get_ydata(),
                                       norm ** np.arange(demo_module.MAX_STEPS + 1))
            assert f"{norm:.3f}" in demo.message_text


def test_spectrum_ends_are_ordered_and_finite(demo):
    found = demo_module.spectra()
    for bottom, top in found.values():
        assert np.all(np.isfinite(bottom)) and np.all(np.isfinite(top))
        assert np.all(np.diff(bottom) >= 0) and np.all(np.diff(top) >= 0) and bottom[-1] <= top[0]
        # ReLU MLP on 10 points: negative curvature exists, so never a contraction
        assert bottom[0] < 0 < top[-1]


def test_sweep_is_finite_and_axes_fixed(demo):
    limits = [(ax.get_xlim(), ax.get_ylim()) for ax in demo.fig.axes]
    rng = np.random.default_rng(0)
    for values in [{"lr": 1e-3, "steps": 1}, {"lr": 1.0, "steps": 10}] + [
            {"lr": float(10 ** rng.uniform(-3, 0)), "steps": int(rng.integers(1, 11))}
            for _ in range(5)]:
        demo.update(**values)
        assert demo.last_error is None, demo.last_error
        assert [(ax.get_xlim(), ax.get_ylim()) for ax in demo.fig.axes] == limits
        for ax in demo.fig.axes:
            for line in ax.get_lines():
                assert np.all(np.isfinite(np.asarray(line.get_xydata(), dtype=float)))
    demo.update(lr=0.01, steps=5)
