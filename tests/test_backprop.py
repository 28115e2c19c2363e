"""The fast path: the hand-written backward pass of ``MLP.loss`` (mamlkit/backprop.py) and the
vectorised meta-batch of ``meta_value_and_gradient`` against plain autograd, task by task.

The reference is ``plain_mse`` (conftest): the mean squared error of ``MLP.apply`` differentiated by
autograd, one task at a time, which shares nothing with backprop.py. First and second derivatives,
ReLU and tanh, one θ and a stack of θ's, every method, 0 / 1 / several inner steps, all to 1e-10.
"""
import autograd
import autograd.numpy
import numpy as np
import pytest

import mamlkit as mk
from mamlkit import Task, backprop, meta, models, tasks

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


def assert_close(got, expected, tol=TOL):
    """Agreement to ``tol`` relative to the largest entry of the reference (at least 1)."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) <= tol * max(1.0, np.max(np.abs(expected)))


# -------------------------------------------------------------------------------------------------
# (a) backprop.mse and its gradient against autograd through MLP.apply

SETUPS = {"relu": lambda: sinusoid_setup("relu"), "tanh": lambda: sinusoid_setup("tanh"),
          "wide": wide_setup}


@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_mse_and_its_gradient_equal_autograd_of_the_plain_mse(setup, plain_mse):
    """For one θ: mse = plain MSE, and mse_grad = autograd.grad(MLP.loss) = autograd.grad(plain)."""
    model, theta, task_list = SETUPS[setup]()
    plain = plain_mse(model)
    for x, y in (task_list[0].train, task_list[1].test):
        assert backprop.mse(model, theta, x, y) == pytest.approx(plain(theta, (x, y)), rel=1e-13)
        expected = autograd.grad(plain)(theta, (x, y))
        assert_close(backprop.mse_grad(model, theta, x, y), expected)
        assert_close(autograd.grad(model.loss)(theta, (x, y)), expected)


@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_a_stack_of_thetas_gives_each_task_its_loss_and_gradient(setup, plain_mse):
    """θ (T, d) with x (T, K, m): MLP.loss returns the T losses, and its gradient (of their sum) has
    row t = the plain gradient of task t at θ_t."""
    model, theta, task_list = SETUPS[setup]()
    plain = plain_mse(model)
    rng = np.random.default_rng(7)
    thetas = theta + 0.1 * rng.normal(size=(len(task_list), theta.size))  # a different θ per task
    x, y = tasks.stack(task_list).train
    values = model.loss(thetas, (x, y))
    assert values.shape == (len(task_list),)
    for t, task in enumerate(task_list):
        assert values[t] == pytest.approx(plain(thetas[t], task.train), rel=1e-13)
    expected = [autograd.grad(plain)(thetas[t], task.train) for t, task in enumerate(task_list)]
    assert_close(backprop.mse_grad(model, thetas, x, y), expected)
    assert_close(autograd.elementwise_grad(model.loss)(thetas, (x, y)), expected)


@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_second_derivatives_through_the_backward_pass(setup, plain_mse):
    """autograd differentiates mse_grad itself (it is written in autograd.numpy), so Hessian-vector
    products through MLP.loss equal those of the plain MSE, for one θ and for a stack (row t is
    H_t v_t: the Hessian of the summed losses is block diagonal)."""
    model, theta, task_list = SETUPS[setup]()
    plain = plain_mse(model)
    rng = np.random.default_rng(8)
    data = task_list[0].train
    v = rng.normal(size=theta.size)
    assert_close(mk.hvp(model.loss, theta, data, v), mk.hvp(plain, theta, data, v))
    thetas = np.repeat(theta[None], len(task_list), axis=0)
    batch = tasks.stack(task_list).train
    vs = rng.normal(size=thetas.shape)
    stacked = autograd.hessian_tensor_product(
        lambda t: autograd.numpy.sum(model.loss(t, batch)))(thetas, vs)
    assert_close(stacked, [mk.hvp(plain, theta, task.train, vs[t])
                           for t, task in enumerate(task_list)])


@pytest.mark.parametrize("setup", sorted(SETUPS))
@pytest.mark.parametrize("steps", (1, 3))
def test_maml_through_the_backward_pass_equals_maml_through_the_plain_mse(setup, steps, plain_mse):
    """MAML's gradient differentiates the inner gradient steps, so it takes mse_grad's own
    derivatives: one task through MLP.loss against one task through the plain MSE."""
    model, theta, task_list = SETUPS[setup]()
    plain = plain_mse(model)
    task = task_list[0]
    assert_close(mk.maml_grad(model.loss, theta, task, 0.01, steps),
                 mk.maml_grad(plain, theta, task, 0.01, steps))


# -------------------------------------------------------------------------------------------------
# (b) the vectorised meta-batch against the task-by-task loop of plain autograd


def hyper_for(method, steps):
    return dict(HYPER[method], **({} if method == "pretrain" else {"steps": steps}))


def looped(model, plain_mse):
    """A loss without ``vectorised``, built on plain autograd only: meta_value_and_gradient runs it
    task by task, an independent computation of the same meta-batch."""
    plain = plain_mse(model)
    return lambda t, d: plain(t, d)


def recording(model, shapes):
    """MLP.loss that notes the shape of every θ it is given, and is vectorised like it."""
    def loss(theta, data):
        shapes.append(np.shape(theta))
        return model.loss(theta, data)

    loss.vectorised = True
    return loss


def assert_vectorised_equals_loop(model, theta, task_list, method, steps, plain_mse):
    hyper = hyper_for(method, steps)
    shapes = []
    value, grad = mk.meta_value_and_gradient(method, recording(model, shapes), theta, task_list,
                                             **hyper)
    assert {len(shape) for shape in shapes} == {2}  # one stack (T, d) of θ's, never a single θ
    ref_value, ref_grad = mk.meta_value_and_gradient(method, looped(model, plain_mse), theta,
                                                     task_list, **hyper)
    assert grad.shape == theta.shape
    assert abs(value - ref_value) <= TOL * max(1.0, abs(ref_value))
    assert_close(grad, ref_grad)


WITH_STEPS = [("pretrain", 0)] + [(method, steps) for method in sorted(meta.METHODS)
                                  if method != "pretrain" for steps in (0, 1, 3)]


@pytest.mark.parametrize("method, steps", WITH_STEPS)
@pytest.mark.parametrize("activation", ("relu", "tanh"))
def test_vectorised_equals_the_plain_loop_on_sinusoids(method, steps, activation, plain_mse):
    model, theta, task_list = sinusoid_setup(activation)
    assert_vectorised_equals_loop(model, theta, task_list, method, steps, plain_mse)


@pytest.mark.parametrize("method", sorted(meta.METHODS))
def test_vectorised_equals_the_plain_loop_for_a_multi_output_mlp(method, plain_mse):
    model, theta, task_list = wide_setup()
    assert_vectorised_equals_loop(model, theta, task_list, method, 2, plain_mse)


def kink_setup():
    """A ReLU MLP with every bias 0 and tasks whose inputs hold x = 0: there every hidden unit sits
    at h = 0, the ReLU's kink."""
    model = models.MLP((1, 40, 40, 1), "relu")
    theta = model.init(np.random.default_rng(0))
    for _, b in model.layers(theta):
        b[...] = 0.0  # layers() returns views of θ
    x = np.linspace(-5.0, 5.0, 11)[:, None]
    task_list = [Task((x, np.sin(x - phase)), (x[::2], np.sin(x[::2] - phase)))
                 for phase in (0.3, 1.2, 2.5)]
    W1, b1 = next(model.layers(theta))
    assert x[5, 0] == 0 and np.all(x[5] @ W1 + b1 == 0)  # the kink is hit
    return model, theta, task_list


@pytest.mark.parametrize("method", sorted(meta.METHODS))
def test_vectorised_equals_the_plain_loop_where_a_relu_input_is_exactly_zero(method, plain_mse):
    """The backward pass takes the slope 0 at h = 0, as autograd does of h·(h > 0)."""
    model, theta, task_list = kink_setup()
    data = task_list[0].train
    assert_close(autograd.grad(model.loss)(theta, data),
                 autograd.grad(plain_mse(model))(theta, data))
    assert_vectorised_equals_loop(model, theta, task_list, method, 2, plain_mse)


def test_vectorised_tasks_whose_support_and_query_are_the_same_data(plain_mse):
    """joint_data uses a task's data once when train is test, on both paths."""
    model, theta, task_list = sinusoid_setup()
    same = [Task(t.train, t.train) for t in task_list]
    for method in ("pretrain", "reptile"):
        assert_vectorised_equals_loop(model, theta, same, method, 2, plain_mse)


def test_ragged_tasks_fall_back_to_the_loop(plain_mse):
    """Tasks of different sizes cannot be stacked: the same vectorised loss is then run task by
    task (θ of shape (d,) only) and gives the loop's mean."""
    model, theta, task_list = sinusoid_setup()
    ragged = task_list + [tasks.Sinusoid().sample(np.random.default_rng(3), 5, 10)]
    assert not tasks.can_stack(ragged)
    shapes = []
    value, grad = mk.meta_value_and_gradient("maml", recording(model, shapes), theta, ragged,
                                             lr=0.01, steps=1)
    assert set(shapes) == {theta.shape}
    ref_value, ref_grad = mk.meta_value_and_gradient("maml", looped(model, plain_mse), theta,
                                                     ragged, lr=0.01, steps=1)
    assert value == pytest.approx(ref_value, rel=TOL)
    assert_close(grad, ref_grad)


def test_a_loss_that_is_not_vectorised_runs_task_by_task():
    """Tasks that would stack, but a loss without ``vectorised = True``: θ is never a stack."""
    model, theta, task_list = sinusoid_setup()
    shapes = []
    unmarked = recording(model, shapes)
    del unmarked.vectorised
    value, grad = mk.meta_value_and_gradient("fomaml", unmarked, theta, task_list, lr=0.01,
                                             steps=1)
    assert set(shapes) == {theta.shape}
    expected = mk.meta_value_and_gradient("fomaml", model.loss, theta, task_list, lr=0.01, steps=1)
    assert value == pytest.approx(expected[0], rel=TOL)
    assert_close(grad, expected[1])


def test_vectorised_imaml_raises_not_positive_definite_like_the_loop(plain_mse):
    """With λ far below −λ_min(H) both paths refuse: CG met pᵀ(I + H/λ)p ≤ 0 on some task."""
    model, theta, task_list = sinusoid_setup(n_tasks=8)
    hyper = {"lr": 0.01, "steps": 1, "lam": 0.5, "cg_steps": 5}
    with pytest.raises(mk.NotPositiveDefiniteError):
        mk.meta_value_and_gradient("imaml", looped(model, plain_mse), theta, task_list, **hyper)
    with pytest.raises(mk.NotPositiveDefiniteError, match="not positive definite"):
        mk.meta_value_and_gradient("imaml", model.loss, theta, task_list, **hyper)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_vectorised_adaptation_curve_equals_the_plain_loop(activation, plain_mse):
    """evaluate.adaptation_curve runs a vectorised loss on all tasks at once; it equals adapting one
    task at a time through the plain MSE."""
    model, theta, task_list = sinusoid_setup(activation)
    shapes = []
    curves = mk.evaluate.adaptation_curve(recording(model, shapes), theta, task_list, 0.01, 6)
    assert {len(shape) for shape in shapes} == {2}
    assert_close(curves, mk.evaluate.adaptation_curve(looped(model, plain_mse), theta, task_list,
                                                      0.01, 6))


def test_adaptation_curve_of_ragged_tasks_falls_back_to_the_loop(plain_mse):
    model, theta, task_list = sinusoid_setup()
    ragged = task_list[:2] + [tasks.Sinusoid().sample(np.random.default_rng(3), 5, 10)]
    curves = mk.evaluate.adaptation_curve(model.loss, theta, ragged, 0.01, max_steps=2)
    assert_close(curves, mk.evaluate.adaptation_curve(looped(model, plain_mse), theta, ragged,
                                                      0.01, 2))


# -------------------------------------------------------------------------------------------------
# (c) conjugate gradient on rows of independent systems


@pytest.mark.parametrize("steps", (1, 3, 12))
def test_conjugate_gradient_on_rows_follows_the_single_system_cg_row_by_row(steps):
    """Row t of CG on a stack of right-hand sides is conjugate_gradient on A_t alone, including a
    row that starts converged (b = 0) and rows that converge before the others (a 3×3 system solved
    exactly in 3 steps)."""
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
    solution = mk.conjugate_gradient(lambda v: np.einsum("tij,tj->ti", matrices, v), rhs, steps)
    assert solution.shape == rhs.shape
    for a, b, x in zip(matrices, rhs, solution):
        np.testing.assert_allclose(x, mk.conjugate_gradient(lambda v, a=a: a @ v, b, steps),
                                   atol=1e-12)
    if steps == 12:
        np.testing.assert_allclose(solution, np.linalg.solve(matrices, rhs[..., None])[..., 0],
                                   atol=1e-10)


@pytest.mark.parametrize("bad, b", [(np.diag([1.0, -2.0]), [1.0, 1.0]),
                                    (np.diag([0.0, 1.0]), [1.0, 0.0])], ids=["negative", "zero"])
def test_conjugate_gradient_on_rows_raises_for_an_indefinite_row(bad, b):
    """A row whose first direction p = b has pᵀAp < 0, or exactly 0, is refused although the other
    row is positive definite."""
    matrices = np.array([np.eye(2), bad])
    rhs = np.array([[1.0, 1.0], b])
    with pytest.raises(mk.NotPositiveDefiniteError, match="not positive definite"):
        mk.conjugate_gradient(lambda v: np.einsum("tij,tj->ti", matrices, v), rhs, 2)
