"""Bad input that earns a check: each test here fails on code without its check.

Two kinds. What would otherwise give a silently wrong answer: targets whose shape broadcasts, a loss
that is not a scalar, a task's two sets passed as one data set (or one data set as a task), support
and query sets of different point shapes, an MLP θ of the wrong length, empty data sets, CG on an
indefinite system, no tasks. And what a user types wrongly at a
public entry point: step counts that are negative or fractional, rates and θ that are not finite,
λ ≤ 0, unknown or missing hyperparameters. Each is a ValueError naming the argument. Last, no public
function modifies its inputs in place.
"""
import copy
from types import SimpleNamespace

import autograd.numpy
import numpy as np
import pytest

import mamlkit as mk
from mamlkit import Task, evaluate, landscape, models, tasks
from mamlkit.curvature import gauss_newton_meta_grad

LINE_A = tasks.SoftplusLine(0.3, 0.05, seed=0).data
LINE_B = tasks.SoftplusLine(0.3, 0.05, seed=1).data
MLP = models.MLP((1, 4, 1), "tanh")
MLP_THETA = MLP.init(np.random.default_rng(1))
SINE = tasks.Sinusoid().sample_batch(np.random.default_rng(0), 2, 5, 5)
SINE_HYPER = [("pretrain", {}), ("maml", {"lr": 0.01, "steps": 2}),
              ("fomaml", {"lr": 0.01, "steps": 2}), ("reptile", {"lr": 0.01, "steps": 2}),
              ("imaml", {"lr": 0.01, "steps": 2, "lam": 20.0, "cg_steps": 2})]


def good_arguments():
    """A fresh set of valid arguments; each test spoils one of them."""
    return SimpleNamespace(loss=tasks.softplus_line_loss, theta=np.array([0.35, 0.55]), data=LINE_A,
                           task=Task(LINE_A, LINE_B), lr=0.04, steps=2, lam=2.0, cg_steps=3,
                           v=np.array([1.0, -2.0]), points=landscape.grid(n=4), model=MLP,
                           mlp_theta=MLP.init(np.random.default_rng(1)), mlp_data=SINE[0].train,
                           sine_tasks=SINE)


def sampler(task):
    return lambda rng, n: [task] * n


# name -> (the arguments it takes, call)
CALLS = {
    "adapt": ({"theta", "steps", "lr", "data", "loss"},
              lambda a: mk.adapt(a.loss, a.theta, a.data, a.lr, a.steps)),
    "inner_path": ({"theta", "steps", "lr", "data", "loss"},
                   lambda a: mk.inner_path(a.loss, a.theta, a.data, a.lr, a.steps)),
    "adaptation_jacobian": ({"theta", "steps", "lr", "data", "loss"},
                            lambda a: mk.adaptation_jacobian(a.loss, a.theta, a.data, a.lr,
                                                             a.steps)),
    "hessian": ({"theta", "data", "loss"}, lambda a: mk.hessian(a.loss, a.theta, a.data)),
    "hvp": ({"theta", "data", "loss"}, lambda a: mk.hvp(a.loss, a.theta, a.data, a.v)),
    "pretrain_grad": ({"theta", "task", "loss"},
                      lambda a: mk.pretrain_grad(a.loss, a.theta, a.task)),
    "maml_grad": ({"theta", "steps", "lr", "task", "loss"},
                  lambda a: mk.maml_grad(a.loss, a.theta, a.task, a.lr, a.steps)),
    "fomaml_grad": ({"theta", "steps", "lr", "task", "loss"},
                    lambda a: mk.fomaml_grad(a.loss, a.theta, a.task, a.lr, a.steps)),
    "reptile_grad": ({"theta", "steps", "lr", "data", "loss"},
                     lambda a: mk.reptile_grad(a.loss, a.theta, a.data, a.lr, a.steps)),
    "reptile_grad(task)": ({"theta", "steps", "lr", "task", "loss"},
                           lambda a: mk.reptile_grad(a.loss, a.theta, a.task, a.lr, a.steps)),
    "proximal_adapt": ({"theta", "steps", "lr", "lam", "data", "loss"},
                       lambda a: mk.proximal_adapt(a.loss, a.theta, a.data, a.lr, a.steps,
                                                   a.lam)),
    "imaml_grad": ({"theta", "steps", "lr", "lam", "cg_steps", "task", "loss"},
                   lambda a: mk.imaml_grad(a.loss, a.theta, a.task, a.lr, a.steps, a.lam,
                                           a.cg_steps)),
    "compare_meta_gradients": ({"theta", "steps", "lr", "task", "loss"},
                               lambda a: mk.compare_meta_gradients(a.loss, a.theta, a.task, a.lr,
                                                                   a.steps)),
    "meta_gradient(maml)": ({"theta", "steps", "lr", "task", "loss"},
                            lambda a: mk.meta_gradient("maml", a.loss, a.theta, [a.task], lr=a.lr,
                                                       steps=a.steps)),
    "meta_value_and_gradient(imaml)": (
        {"theta", "steps", "lr", "lam", "cg_steps", "task", "loss"},
        lambda a: mk.meta_value_and_gradient("imaml", a.loss, a.theta, [a.task], lr=a.lr,
                                             steps=a.steps, lam=a.lam, cg_steps=a.cg_steps)),
    "meta_train(imaml)": (
        {"theta", "steps", "lr", "lam", "cg_steps", "task", "loss"},
        lambda a: mk.meta_train("imaml", a.loss, a.theta, sampler(a.task), 2, 2, 0.01,
                                progress=False, lr=a.lr, steps=a.steps, lam=a.lam,
                                cg_steps=a.cg_steps)),
    "conjugate_gradient": ({"cg_steps"},
                           lambda a: mk.conjugate_gradient(lambda u: 2.0 * u, a.v, a.cg_steps)),
    "adaptation_curve": ({"theta", "steps", "lr", "task", "loss"},
                         lambda a: evaluate.adaptation_curve(a.loss, a.theta, [a.task], a.lr,
                                                             a.steps)),
    "grid_adapt": ({"steps", "lr"},
                   lambda a: landscape.grid_adapt(a.loss, a.points, a.data, a.lr, a.steps)),
    "grid_meta_loss": ({"steps", "lr"},
                       lambda a: landscape.grid_meta_loss(a.loss, [a.task], a.points, a.lr,
                                                          a.steps)),
    "MLP.loss": (set(), lambda a: a.model.loss(a.mlp_theta, a.mlp_data)),
    "gauss_newton_split": ({"mlp_theta", "mlp_data"},
                           lambda a: mk.gauss_newton_split(a.model, a.mlp_theta, a.mlp_data)),
    # an MLP's own loss takes meta_value_and_gradient's vectorised path
    "meta_gradient(mlp)": ({"mlp_theta"}, lambda a: [
        mk.meta_gradient(method, a.model.loss, a.mlp_theta, a.sine_tasks, **hyper)
        for method, hyper in SINE_HYPER]),
}
# the name a function gives an argument, where it differs from the attribute of good_arguments()
NAMES = {"adaptation_curve": {"steps": "max_steps"}, "reptile_grad(task)": {"task": "data"},
         "conjugate_gradient": {"cg_steps": "steps"}, "MLP.loss": {"mlp_data": "data"},
         "gauss_newton_split": {"mlp_theta": "theta", "mlp_data": "data"},
         "meta_gradient(mlp)": {"mlp_theta": "theta"}}


def takes(argument):
    return [name for name, (arguments, _) in CALLS.items() if argument in arguments]


def raises_naming(name, argument, value, message):
    """Call CALLS[name] with ``argument`` set to ``value``; expect a ValueError naming it and
    ``message``."""
    arguments = good_arguments()
    setattr(arguments, argument, value)
    with pytest.raises(ValueError) as info:
        CALLS[name][1](arguments)
    text = str(info.value)
    assert NAMES.get(name, {}).get(argument, argument) in text, text
    assert message in text, text


# -------------------------------------------------------------------------------------------------
# What a user types wrongly at the public entry points


@pytest.mark.parametrize("value", [-1, 1.5, True])
@pytest.mark.parametrize("name", takes("steps"))
def test_negative_or_fractional_steps(name, value):
    """-1 would silently take no step and True one; 1.5 is a TypeError deep inside."""
    raises_naming(name, "steps", value, "whole number >= 0")


@pytest.mark.parametrize("value", [0, -1, 2.5])
@pytest.mark.parametrize("name", takes("cg_steps"))
def test_bad_cg_steps(name, value):
    """Zero CG steps would return the solution 0 without a word."""
    raises_naming(name, "cg_steps", value, ">= 1")


def test_numpy_integers_are_whole_numbers_and_integer_theta_is_read_as_floats():
    a = good_arguments()
    np.testing.assert_allclose(mk.adapt(a.loss, np.array([0, 1]), a.data, a.lr, np.int64(2)),
                               mk.adapt(a.loss, np.array([0.0, 1.0]), a.data, a.lr, 2),
                               rtol=1e-15)
    with pytest.raises(ValueError, match="steps must be a whole number"):
        mk.adapt(a.loss, a.theta, a.data, a.lr, np.float64(2.0))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, "0.1"])
@pytest.mark.parametrize("name", takes("lr"))
def test_non_finite_lr(name, value):
    raises_naming(name, "lr", value, "finite")


@pytest.mark.parametrize("value", [0.0, -1.0, np.nan, np.inf])
@pytest.mark.parametrize("name", takes("lam"))
def test_lam_not_positive(name, value):
    """λ ≤ 0: the proximal pull turns into a push, and I + H/λ is not iMAML's system."""
    raises_naming(name, "lam", value, "> 0")


@pytest.mark.parametrize("value", [np.array([np.nan, 0.5]), np.array([0.3, np.inf])],
                         ids=["nan", "inf"])
@pytest.mark.parametrize("name, argument", [(name, "theta") for name in takes("theta")]
                         + [(name, "mlp_theta") for name in takes("mlp_theta")])
def test_non_finite_theta(name, argument, value):
    """A non-finite θ would give nan everywhere, reported as a result."""
    raises_naming(name, argument, value, "finite")


@pytest.mark.parametrize("method, hyper, message", [
    ("reptile", {"lr": 0.1}, "missing ['steps']"),
    ("maml", {"lr": 0.1, "step": 3}, "unknown ['step']"),
    ("pretrain", {"lr": 0.1}, "unknown ['lr']"),
    ("maml", {}, "missing ['lr']"),
    ("imaml", {"lr": 0.1, "steps": 1}, "missing ['lam']"),
])
def test_missing_or_unknown_hyperparameters(method, hyper, message):
    """A misspelt hyperparameter would otherwise be a TypeError of the formula, or (with a default)
    be ignored; the message lists what the method takes."""
    a = good_arguments()
    calls = (lambda: mk.meta_gradient(method, a.loss, a.theta, [a.task], **hyper),
             lambda: mk.meta_train(method, a.loss, a.theta, sampler(a.task), 2, 2, 0.01,
                                   progress=False, **hyper))
    for call in calls:
        with pytest.raises(ValueError, match=f"hyperparameters of '{method}'") as info:
            call()
        assert message in str(info.value) and "it takes" in str(info.value)


@pytest.mark.parametrize("call, message", [
    (lambda: tasks.Sinusoid().sample(np.random.default_rng(0), k_support=-1),
     "k must be a whole number >= 1"),
    (lambda: tasks.Sinusoid().sample(np.random.default_rng(0), k_query=2.5),
     "k must be a whole number >= 1"),
    (lambda: tasks.Sinusoid().sample_batch(np.random.default_rng(0), 0),
     "n_tasks must be a whole number >= 1"),
    (lambda: tasks.SoftplusLine(1.0, 0.5, n=2.5), "n must be a whole number >= 1"),
    (lambda: landscape.grid(n=2.5), "n must be a whole number >= 2"),
])
def test_negative_or_fractional_counts(call, message):
    """No tasks would be an empty batch; a negative or fractional count a numpy error about
    sizes."""
    with pytest.raises(ValueError, match=message):
        call()


# -------------------------------------------------------------------------------------------------
# What would otherwise give a silently wrong answer

FLAT_TARGETS = (SINE[0].train[0], SINE[0].train[1].ravel())  # y (K,) against the MLP's (K, 1)


@pytest.mark.parametrize("name", ["MLP.loss", "gauss_newton_split"])
def test_targets_without_the_output_axis(name):
    """numpy would broadcast (K,) targets against (K, 1) outputs into K×K errors: a wrong loss."""
    raises_naming(name, "mlp_data", FLAT_TARGETS, "output shape (5, 1)")


def test_targets_without_the_output_axis_in_a_task():
    """The same on the per-task path, the vectorised path (stacked shapes) and Gauss–Newton."""
    task = Task(FLAT_TARGETS, FLAT_TARGETS)
    for call in (lambda: mk.maml_grad(MLP.loss, MLP_THETA, task, 0.01, 1),
                 lambda: mk.meta_gradient("fomaml", MLP.loss, MLP_THETA, [task, task], lr=0.01,
                                          steps=1),
                 lambda: gauss_newton_meta_grad(MLP, MLP_THETA, task, 0.01, 1)):
        with pytest.raises(ValueError,
                           match=r"y must have the model's output shape \((2, )?5, 1\)"):
            call()


def test_a_single_target_broadcast_over_the_inputs_is_refused():
    """A toy loss would broadcast one target y against all K inputs; the data check counts them."""
    x, y = LINE_A
    one = (x, y[:1])
    raises_naming("adapt", "data", one, "as many targets as inputs")
    raises_naming("maml_grad", "task", Task(one, LINE_B), "as many targets as inputs")


@pytest.mark.parametrize("part", ["train", "test"])
def test_an_empty_data_set_is_refused(part):
    """An empty query set once gave a zero meta-gradient (and a nan loss) instead of an error."""
    x, y = SINE[0].train
    sets = {"train": SINE[0].train, "test": SINE[0].test, part: (x[:0], y[:0])}
    task = Task(sets["train"], sets["test"])
    for call in (lambda: mk.maml_grad(MLP.loss, MLP_THETA, task, 0.01, 1),
                 lambda: mk.meta_gradient("fomaml", MLP.loss, MLP_THETA, [task, task], lr=0.01,
                                          steps=1),
                 lambda: evaluate.adaptation_curve(MLP.loss, MLP_THETA, [task], 0.01, 1)):
        with pytest.raises(ValueError, match=f"task.{part} must hold at least one point"):
            call()


@pytest.mark.parametrize("name", sorted(set(takes("loss")) - {"conjugate_gradient"}))
def test_loss_returning_a_vector(name):
    """autograd would differentiate the sum of a vector-valued loss; a one-element array is fine."""
    raises_naming(name, "loss", lambda theta, data: theta * 2.0, "scalar")
    arguments = good_arguments()
    arguments.loss = lambda theta, data: autograd.numpy.reshape(
        tasks.softplus_line_loss(theta, data), (1,))
    CALLS[name][1](arguments)


def test_a_task_passed_where_one_data_set_is_expected_is_refused():
    """reptile_grad and adapt take one data set: (train, test) as a plain pair would train on the
    support set as inputs and the query set as targets."""
    task = SINE[0]
    for call in (lambda: mk.reptile_grad(MLP.loss, MLP_THETA, (task.train, task.test), 0.01, 2),
                 lambda: mk.adapt(MLP.loss, MLP_THETA, (task.train, task.test), 0.01, 2)):
        with pytest.raises(ValueError, match=r"must be one \(x, y\) pair of arrays, got a pair of "
                                             r"\(x, y\) pairs"):
            call()


def test_one_data_set_passed_where_a_task_is_expected_is_refused():
    with pytest.raises(ValueError, match=r"task must be a Task\(train, test\), got tuple"):
        mk.maml_grad(tasks.softplus_line_loss, np.array([0.3, 0.5]), LINE_A, 0.1)


def test_a_task_whose_sets_hold_points_of_different_shapes_is_refused():
    """Support points of one input and query points of two: MAML would adapt one network and score
    another; pretraining once raised numpy's error about concatenation axes."""
    x, y = SINE[0].test
    task = Task(SINE[0].train, (np.hstack([x, x]), y))
    for call in (lambda: mk.pretrain_grad(MLP.loss, MLP_THETA, task),
                 lambda: mk.maml_grad(MLP.loss, MLP_THETA, task, 0.01, 1)):
        with pytest.raises(ValueError, match="task.train and task.test must hold points of the "
                                             "same shape"):
            call()


@pytest.mark.parametrize("theta", [np.append(MLP_THETA, 0.0), MLP_THETA[:-1]],
                         ids=["one too many", "one too few"])
@pytest.mark.parametrize("call", [
    lambda t: mk.meta_gradient("maml", MLP.loss, t, SINE, lr=0.01, steps=1),
    lambda t: mk.meta_value_and_gradient("pretrain", MLP.loss, t, SINE),
    lambda t: mk.meta_train("fomaml", MLP.loss, t, lambda rng, n: SINE, 2, 2, 0.01,
                            progress=False, lr=0.01, steps=1),
    lambda t: evaluate.adaptation_curve(MLP.loss, t, SINE, 0.01, 2),
    lambda t: mk.maml_grad(MLP.loss, t, SINE[0], 0.01, 1),
], ids=["meta_gradient", "meta_value_and_gradient", "meta_train", "adaptation_curve", "maml_grad"])
def test_an_mlp_theta_of_the_wrong_length_is_refused_on_both_paths(call, theta):
    """The vectorised path (an MLP's own loss) checks θ's length as the per-task path does; it once
    returned a gradient of the wrong length."""
    with pytest.raises(ValueError, match=f"theta must have {MLP.size} entries"):
        call(theta)


@pytest.mark.parametrize("loss, data", [
    (tasks.softplus_line_loss, LINE_A), (tasks.quadratic_loss, tasks.Quadratic().data),
    (tasks.bumps_loss, tasks.Bumps([[0, 0], [1, 1], [0.5, 0.5], [0.2, 0.8]]).data)])
@pytest.mark.parametrize("theta", [np.array([0.2, 0.1, 5.0]), np.array([0.2]), np.ones((3, 4, 4))])
def test_toy_losses_take_exactly_two_parameters(loss, data, theta):
    """A third entry was once ignored (its gradient 0) and one entry broadcast."""
    with pytest.raises(ValueError, match=r"theta must have shape \(2,\)"):
        loss(theta, data)
    if theta.ndim == 1:
        with pytest.raises(ValueError, match=r"theta must have shape \(2,\)"):
            mk.maml_grad(loss, theta, Task(data, data), 0.01, 1)


def test_conjugate_gradient_refuses_a_right_hand_side_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"b must be a vector \(d,\)"):
        mk.conjugate_gradient(lambda v: 2.0 * v, np.ones((2, 2, 2)), 3)


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_conjugate_gradient_turns_a_non_finite_right_hand_side_into_nan(bad):
    """Not 0: a nan residual fails every stopping test, and a diverged inner loop must show."""
    x = mk.conjugate_gradient(lambda v: 2.0 * v, np.array([bad, 1.0]), 3)
    assert np.isnan(x).all()
    rows = mk.conjugate_gradient(lambda v: 2.0 * v, np.array([[bad, 1.0], [2.0, 4.0]]), 3)
    assert np.isnan(rows[0]).all() and np.allclose(rows[1], [1.0, 2.0])


def test_conjugate_gradient_refuses_an_indefinite_system():
    """pᵀAp < 0 would make the step negative: CG would climb instead of solving."""
    with pytest.raises(mk.NotPositiveDefiniteError, match="not positive definite"):
        mk.conjugate_gradient(lambda v: np.array([1.0, -2.0]) * v, np.ones(2), 2)


def test_no_tasks_is_refused():
    """With no tasks a mean is nan and the grid's total 0 (its other arguments never checked)."""
    for call in (lambda: evaluate.adaptation_curve(MLP.loss, MLP_THETA, [], 0.01, 1),
                 lambda: mk.meta_value_and_gradient("maml", MLP.loss, MLP_THETA, [], lr=0.01,
                                                    steps=1),
                 lambda: landscape.grid_meta_loss(tasks.softplus_line_loss, [],
                                                  landscape.grid(n=4), 0.01, 1)):
        with pytest.raises(ValueError, match="tasks must hold at least one Task"):
            call()


# -------------------------------------------------------------------------------------------------
# Inputs are never modified


def arrays_in(value):
    """Every numpy array reachable in a (nested) namespace, tuple, list or dict."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, SimpleNamespace):
        value = vars(value)
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [array for item in value for array in arrays_in(item)]
    return []


@pytest.mark.parametrize("name", sorted(CALLS))
def test_inputs_are_never_modified(name):
    arguments = good_arguments()
    before = copy.deepcopy(arguments)
    result = CALLS[name][1](arguments)
    for after, original in zip(arrays_in(arguments), arrays_in(before)):
        np.testing.assert_array_equal(after, original)
    # nor is an input handed back, where changing the result would change the caller's array
    inputs = {id(array) for array in arrays_in(arguments)}
    results = result if isinstance(result, (tuple, list)) else [result]
    assert not any(id(array) in inputs for array in arrays_in(results))
