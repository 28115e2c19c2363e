"""The vectorised meta-gradients (mamlkit/batched.py) equal the per-task reference functions of meta.py.

``meta_value_and_gradient`` dispatches to the batched path for an MLP's own loss and tasks of equal shapes; the
reference is the mean over tasks of ``meta.METHODS[method]`` (one task at a time, nested autograd). Every method,
0 / 1 / several inner steps, ReLU and tanh, a multi-input multi-output MLP, all to 1e-10.
"""
import numpy as np
import pytest

import mamlkit as mk
from mamlkit import Task, batched, meta, models, tasks

TOL = 1e-10
HYPER = {
    "pretrain": {},
    "maml": {"lr": 0.01},
    "fomaml": {"lr": 0.01},
    "reptile": {"lr": 0.02},
    "imaml": {"lr": 0.01, "lam": 60.0, "cg_steps": 5},
}


def sinusoid_setup(activation="relu", n_tasks=6, seed=0):
    model = models.MLP((1, 40, 40, 1), activation)
    rng = np.random.default_rng(seed)
    return model, model.init(rng), tasks.Sinusoid().sample_batch(rng, n_tasks, 10, 10)


def wide_setup(seed=1):
    """A 2-in, 3-out tanh MLP on random regression tasks with different support and query sizes."""
    model = models.MLP((2, 7, 5, 3), "tanh")
    rng = np.random.default_rng(seed)

    def data(k):
        return rng.normal(size=(k, 2)), rng.normal(size=(k, 3))

    return model, model.init(rng), [Task(data(4), data(6)) for _ in range(5)]


def reference(method, loss, theta, task_list, **hyper):
    """(1/T) Σ_t of the per-task reference functions of meta.py."""
    values, grads = zip(*(meta.METHODS[method](loss, theta, t, **hyper) for t in task_list))
    return float(np.mean(values)), np.mean(grads, axis=0)


def hyper_for(method, steps):
    return dict(HYPER[method], **({} if method == "pretrain" else {"steps": steps}))


def assert_batched_equals_reference(model, theta, task_list, method, steps):
    hyper = hyper_for(method, steps)
    assert batched.value_and_gradient(method, model.loss, theta, task_list, **hyper) is not None
    value, grad = mk.meta_value_and_gradient(method, model.loss, theta, task_list, **hyper)
    ref_value, ref_grad = reference(method, model.loss, theta, task_list, **hyper)
    assert grad.shape == theta.shape
    assert abs(value - ref_value) <= TOL * max(1.0, abs(ref_value))
    assert np.max(np.abs(grad - ref_grad)) <= TOL * max(1.0, np.max(np.abs(ref_grad)))


@pytest.mark.parametrize("method", sorted(meta.METHODS))
@pytest.mark.parametrize("steps", (0, 1, 3))
@pytest.mark.parametrize("activation", ("relu", "tanh"))
def test_batched_equals_per_task_reference_on_sinusoids(method, steps, activation):
    if method == "pretrain" and steps:
        pytest.skip("pretraining has no inner steps")
    model, theta, task_list = sinusoid_setup(activation)
    assert_batched_equals_reference(model, theta, task_list, method, steps)


@pytest.mark.parametrize("method", sorted(meta.METHODS))
def test_batched_equals_reference_for_a_multi_output_mlp(method):
    model, theta, task_list = wide_setup()
    assert_batched_equals_reference(model, theta, task_list, method, 2)


def test_meta_gradient_uses_the_batched_path_for_an_mlp():
    """meta_gradient returns exactly what batched computes (it is the path taken, not a re-computation)."""
    model, theta, task_list = sinusoid_setup()
    batch = batched.stack(task_list)
    expected = batched.maml(model, theta, batch, lr=0.01, steps=2)[1]
    np.testing.assert_array_equal(mk.meta_gradient("maml", model.loss, theta, task_list, lr=0.01, steps=2), expected)


def test_unequal_shapes_and_other_losses_fall_back_to_the_reference():
    model, theta, task_list = sinusoid_setup()
    odd_one = tasks.Sinusoid().sample(np.random.default_rng(3), 5, 10)
    ragged = task_list + [odd_one]
    assert batched.value_and_gradient("maml", model.loss, theta, ragged, lr=0.01, steps=1) is None
    value, grad = mk.meta_value_and_gradient("maml", model.loss, theta, ragged, lr=0.01, steps=1)
    # The fallback's mean over 7 tasks, against the batched path on the 6 equal tasks and on the odd one apart.
    six = batched.value_and_gradient("maml", model.loss, theta, task_list, lr=0.01, steps=1)
    one = batched.value_and_gradient("maml", model.loss, theta, [odd_one], lr=0.01, steps=1)
    assert value == pytest.approx((6 * six[0] + one[0]) / 7, abs=1e-12)
    np.testing.assert_allclose(grad, (6 * six[1] + one[1]) / 7, atol=1e-12)

    def other_loss(t, data):
        return model.loss(t, data)

    assert batched.value_and_gradient("maml", other_loss, theta, task_list, lr=0.01, steps=1) is None


def test_tasks_whose_support_and_query_are_the_same_data():
    """joint_data uses a task's data once when train is test; the batched path concatenates it with itself, which
    leaves the MLP's mean squared error, and so every method's value and gradient, unchanged."""
    model, theta, task_list = sinusoid_setup()
    same = [Task(t.train, t.train) for t in task_list]
    for method in ("pretrain", "reptile"):
        assert_batched_equals_reference(model, theta, same, method, 2)


@pytest.mark.parametrize("method", sorted(meta.METHODS))
def test_batched_equals_reference_where_a_relu_input_is_exactly_zero(method):
    """The MAML code's initialisation sets every bias to 0, so an input x = 0 puts every hidden unit at h = 0, the
    ReLU's kink: both paths must take the same slope there (0)."""
    model = models.MLP((1, 40, 40, 1), "relu")
    theta = model.init(np.random.default_rng(0), "reference")
    x = np.linspace(-5.0, 5.0, 11)[:, None]  # holds x = 0
    task_list = [Task((x, np.sin(x - phase)), (x[::2], np.sin(x[::2] - phase))) for phase in (0.3, 1.2, 2.5)]
    W1, b1 = next(model.layers(theta))
    assert x[5, 0] == 0 and np.all(x[5] @ W1 + b1 == 0)  # the kink is hit
    assert_batched_equals_reference(model, theta, task_list, method, 2)


@pytest.mark.parametrize("activation", ("relu", "tanh"))
def test_batched_damped_imaml_equals_the_reference(activation):
    """The damped system ((1 + ρ) I + H/(λ + λ_d)) takes the same values on both paths (and is not the undamped one)."""
    model, theta, task_list = sinusoid_setup(activation)
    hyper = dict(HYPER["imaml"], steps=2, cg_damping=1.0, lam_damping=10.0)
    value, grad = mk.meta_value_and_gradient("imaml", model.loss, theta, task_list, **hyper)
    ref_value, ref_grad = reference("imaml", model.loss, theta, task_list, **hyper)
    assert abs(value - ref_value) <= TOL * max(1.0, abs(ref_value))
    assert np.max(np.abs(grad - ref_grad)) <= TOL * np.max(np.abs(ref_grad))
    undamped = mk.meta_gradient("imaml", model.loss, theta, task_list, **hyper_for("imaml", 2))
    assert np.max(np.abs(grad - undamped)) > 0.1 * np.max(np.abs(undamped))


def test_batched_imaml_raises_not_positive_definite_like_the_reference():
    """With λ far below −λ_min(H) both paths refuse: CG met pᵀ(I + H/λ)p ≤ 0."""
    model, theta, task_list = sinusoid_setup(n_tasks=8)
    hyper = {"lr": 0.01, "steps": 1, "lam": 0.5, "cg_steps": 5}
    with pytest.raises(mk.NotPositiveDefiniteError):
        reference("imaml", model.loss, theta, task_list, **hyper)
    with pytest.raises(mk.NotPositiveDefiniteError, match="not positive definite"):
        mk.meta_value_and_gradient("imaml", model.loss, theta, task_list, **hyper)


@pytest.mark.parametrize("steps", (1, 3, 12))
def test_conjugate_gradient_rows_follows_the_single_system_cg_row_by_row(steps):
    """Row t of the batched CG is conjugate_gradient on A_t alone, including a row that starts converged (b = 0)
    and rows that converge before the others (a 3×3 system solved exactly in 3 steps)."""
    rng = np.random.default_rng(0)
    sizes = (3, 8, 8, 8)
    dim = max(sizes)
    matrices, rhs = [], []
    for i, n in enumerate(sizes):
        a = np.eye(dim)
        m = rng.normal(size=(n, n))
        a[:n, :n] = m @ m.T + n * np.eye(n)
        b = np.zeros(dim)
        if i != 1:
            b[:n] = rng.normal(size=n)
        matrices.append(a)
        rhs.append(b)
    matrices, rhs = np.array(matrices), np.array(rhs)
    solution = batched.conjugate_gradient_rows(lambda v: np.einsum("tij,tj->ti", matrices, v), rhs, steps)
    for a, b, x in zip(matrices, rhs, solution):
        np.testing.assert_allclose(x, mk.conjugate_gradient(lambda v, a=a: a @ v, b, steps), atol=1e-12)


@pytest.mark.parametrize("bad, b", [(np.diag([1.0, -2.0]), [1.0, 1.0]), (np.diag([0.0, 1.0]), [1.0, 0.0])],
                         ids=["negative", "zero"])
def test_conjugate_gradient_rows_raises_for_an_indefinite_row(bad, b):
    """A row whose first direction p = b has pᵀAp < 0, or exactly 0, is refused and named."""
    matrices = np.array([np.eye(2), bad])
    rhs = np.array([[1.0, 1.0], b])
    with pytest.raises(mk.NotPositiveDefiniteError, match="task 1"):
        batched.conjugate_gradient_rows(lambda v: np.einsum("tij,tj->ti", matrices, v), rhs, 2)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_batched_adaptation_curve_equals_the_per_task_loop(activation):
    """evaluate.adaptation_curve takes the batched path for an MLP; it equals adapting one task at a time."""
    model, theta, task_list = sinusoid_setup(activation)
    assert batched.model_and_batch(model.loss, task_list) is not None
    curves = mk.evaluate.adaptation_curve(model.loss, theta, task_list, 0.01, max_steps=6)
    for t, task in enumerate(task_list):
        for s in (0, 1, 6):
            phi = mk.adapt(model.loss, theta, task.train, 0.01, s)
            assert curves[t, s] == pytest.approx(model.loss(phi, task.test), rel=TOL, abs=TOL)


def test_adaptation_curve_of_ragged_tasks_falls_back_to_the_loop():
    model, theta, task_list = sinusoid_setup()
    ragged = task_list[:2] + [tasks.Sinusoid().sample(np.random.default_rng(3), 5, 10)]
    assert batched.model_and_batch(model.loss, ragged) is None
    curves = mk.evaluate.adaptation_curve(model.loss, theta, ragged, 0.01, max_steps=2)
    np.testing.assert_allclose(curves[:2], mk.evaluate.adaptation_curve(model.loss, theta, task_list[:2], 0.01, 2),
                               rtol=1e-10)
    phi = mk.adapt(model.loss, theta, ragged[2].train, 0.01, 2)
    assert curves[2, 2] == pytest.approx(model.loss(phi, ragged[2].test), rel=1e-12)
