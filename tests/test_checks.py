"""Bad input: every public function refuses it with a ValueError naming the argument and its allowed range, and no
public function modifies its inputs in place."""
import copy
from types import SimpleNamespace

import autograd.numpy as anp
import numpy as np
import pytest

import mamlkit as mk
from mamlkit import Task, evaluate, exercises, landscape, models, spectrum, taylor, tasks, zoo
from mamlkit.gauss_newton import gauss_newton_meta_grad
from mamlkit.spectrum import step_norm

LINE_A, LINE_B = tasks.SoftplusLine(0.3, 0.05, seed=0).data, tasks.SoftplusLine(0.3, 0.05, seed=1).data
MLP = models.MLP((1, 4, 1), "tanh")
SINE = tasks.Sinusoid().sample_batch(np.random.default_rng(0), 2, 5, 5)


def good_arguments():
    """A fresh set of valid arguments; each test spoils one of them."""
    return SimpleNamespace(loss=tasks.softplus_line_loss, theta=np.array([0.35, 0.55]), data=LINE_A,
                           task=Task(LINE_A, LINE_B), lr=0.04, steps=2, lam=2.0, cg_steps=3,
                           v=np.array([1.0, -2.0]), points=landscape.grid(n=4), model=MLP,
                           mlp_theta=MLP.init(np.random.default_rng(1)), mlp_data=SINE[0].train, sine_tasks=SINE)


# name -> (the arguments it takes, call). Arguments: theta, steps, lr, lam, cg_steps, data (x and y), loss.
CALLS = {
    "adapt": ({"theta", "steps", "lr", "data", "loss"}, lambda a: mk.adapt(a.loss, a.theta, a.data, a.lr, a.steps)),
    "inner_path": ({"theta", "steps", "lr", "data", "loss"},
                   lambda a: mk.inner_path(a.loss, a.theta, a.data, a.lr, a.steps)),
    "adaptation_jacobian": ({"theta", "steps", "lr", "data", "loss"},
                            lambda a: mk.adaptation_jacobian(a.loss, a.theta, a.data, a.lr, a.steps)),
    "hessian": ({"theta", "data", "loss"}, lambda a: mk.hessian(a.loss, a.theta, a.data)),
    "hvp": ({"theta", "data", "loss"}, lambda a: mk.hvp(a.loss, a.theta, a.data, a.v)),
    "pretrain_grad": ({"theta", "task", "loss"}, lambda a: mk.pretrain_grad(a.loss, a.theta, a.task)),
    "maml_grad": ({"theta", "steps", "lr", "task", "loss"},
                  lambda a: mk.maml_grad(a.loss, a.theta, a.task, a.lr, a.steps)),
    "fomaml_grad": ({"theta", "steps", "lr", "task", "loss"},
                    lambda a: mk.fomaml_grad(a.loss, a.theta, a.task, a.lr, a.steps)),
    "reptile_grad": ({"theta", "steps", "lr", "data", "loss"},
                     lambda a: mk.reptile_grad(a.loss, a.theta, a.data, a.lr, a.steps)),
    "reptile_grad(task)": ({"theta", "steps", "lr", "task", "loss"},
                           lambda a: mk.reptile_grad(a.loss, a.theta, a.task, a.lr, a.steps)),
    "proximal_adapt": ({"theta", "steps", "lr", "lam", "data", "loss"},
                       lambda a: mk.proximal_adapt(a.loss, a.theta, a.data, a.lr, a.steps, a.lam)),
    "imaml_grad": ({"theta", "steps", "lr", "lam", "cg_steps", "task", "loss"},
                   lambda a: mk.imaml_grad(a.loss, a.theta, a.task, a.lr, a.steps, a.lam, a.cg_steps)),
    "compare_meta_gradients": ({"theta", "steps", "lr", "task", "loss"},
                               lambda a: mk.compare_meta_gradients(a.loss, a.theta, a.task, a.lr, a.steps)),
    "meta_gradient(maml)": ({"theta", "steps", "lr", "task", "loss"},
                            lambda a: mk.meta_gradient("maml", a.loss, a.theta, [a.task], lr=a.lr, steps=a.steps)),
    "meta_value_and_gradient(imaml)": (
        {"theta", "steps", "lr", "lam", "cg_steps", "task", "loss"},
        lambda a: mk.meta_value_and_gradient("imaml", a.loss, a.theta, [a.task], lr=a.lr, steps=a.steps, lam=a.lam,
                                             cg_steps=a.cg_steps)),
    "meta_train(imaml)": (
        {"theta", "steps", "lr", "lam", "cg_steps", "task", "loss"},
        lambda a: mk.meta_train("imaml", a.loss, a.theta, lambda rng, n: [a.task] * n, 2, 2, 0.01, progress=False,
                                lr=a.lr, steps=a.steps, lam=a.lam, cg_steps=a.cg_steps)),
    "conjugate_gradient": ({"cg_steps"}, lambda a: mk.conjugate_gradient(lambda u: 2.0 * u, a.v, a.cg_steps)),
    "adaptation_curve": ({"theta", "steps", "lr", "task", "loss"},
                         lambda a: evaluate.adaptation_curve(a.loss, a.theta, [a.task], a.lr, a.steps)),
    "grid_adapt": ({"steps", "lr"}, lambda a: landscape.grid_adapt(a.loss, a.points, a.data, a.lr, a.steps)),
    "grid_meta_loss": ({"steps", "lr"}, lambda a: landscape.grid_meta_loss(a.loss, [a.task], a.points, a.lr, a.steps)),
    "MLP.loss": (set(), lambda a: a.model.loss(a.mlp_theta, a.mlp_data)),
    "mean_ci95": (set(), lambda a: evaluate.mean_ci95(a.points)),
    "gauss_newton_split": ({"mlp_theta", "mlp_data"},
                           lambda a: mk.gauss_newton_split(a.model, a.mlp_theta, a.mlp_data)),
    # an MLP's own loss takes meta_value_and_gradient's vectorised path
    "meta_gradient(mlp)": ({"mlp_theta"}, lambda a: [
        mk.meta_gradient(method, a.model.loss, a.mlp_theta, a.sine_tasks, **hyper)
        for method, hyper in [("pretrain", {}), ("maml", {"lr": 0.01, "steps": 2}), ("fomaml", {"lr": 0.01, "steps": 2}),
                              ("reptile", {"lr": 0.01, "steps": 2}),
                              ("imaml", {"lr": 0.01, "steps": 2, "lam": 20.0, "cg_steps": 2})]]),
}
# the name a function gives an argument, where it differs from the attribute of good_arguments()
NAMES = {"adaptation_curve": {"steps": "max_steps"}, "MLP.loss": {"mlp_data": "data"}, "reptile_grad(task)": {"task": "data"},
         "gauss_newton_split": {"mlp_theta": "theta", "mlp_data": "data"}, "meta_gradient(mlp)": {"mlp_theta": "theta"}}


def takes(argument):
    return [name for name, (arguments, _) in CALLS.items() if argument in arguments]


def raises_naming(name, argument, value, message):
    """Call CALLS[name] with ``argument`` set to ``value``; expect a ValueError naming it and ``message``."""
    arguments = good_arguments()
    setattr(arguments, argument, value)
    with pytest.raises(ValueError) as info:
        CALLS[name][1](arguments)
    text = str(info.value)
    assert NAMES.get(name, {}).get(argument, argument) in text, text
    assert message in text, text


BAD_THETA = {"2-D": ([[0.35, 0.55]], "1-D"), "empty": ([], "non-empty"), "nan": ([np.nan, 0.5], "finite"),
             "inf": ([0.3, np.inf], "finite"), "strings": (["a", "b"], "real"), "a string": ("ab", "1-D"),
             "complex": ([1j, 0.5], "real"), "booleans": ([True, False], "real"), "None": (None, "1-D")}


@pytest.mark.parametrize("bad", sorted(BAD_THETA))
@pytest.mark.parametrize("name, argument", [(name, "theta") for name in takes("theta")]
                         + [(name, "mlp_theta") for name in takes("mlp_theta")])
def test_bad_theta(name, argument, bad):
    value, message = BAD_THETA[bad]
    raises_naming(name, argument, np.array(value) if isinstance(value, list) and value else value, message)


@pytest.mark.parametrize("value", [-1, 1.5, True, "2", None])
@pytest.mark.parametrize("name", takes("steps"))
def test_bad_steps(name, value):
    raises_naming(name, "steps", value, "whole number >= 0")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, "0.1", None, True])
@pytest.mark.parametrize("name", takes("lr"))
def test_bad_lr(name, value):
    raises_naming(name, "lr", value, "finite")


@pytest.mark.parametrize("value", [0.0, -1.0, np.nan, np.inf])
@pytest.mark.parametrize("name", takes("lam"))
def test_bad_lam(name, value):
    raises_naming(name, "lam", value, "> 0")


@pytest.mark.parametrize("value", [0, -1, 2.5])
@pytest.mark.parametrize("name", takes("cg_steps"))
def test_bad_cg_steps(name, value):
    raises_naming(name, "cg_steps", value, ">= 1")


@pytest.mark.parametrize("value", [-0.5, np.nan, np.inf, "1", True])
@pytest.mark.parametrize("argument", ("cg_damping", "lam_damping"))
def test_bad_imaml_damping(argument, value):
    """Both the per-task function and the batch functions refuse a damping that is negative or not finite."""
    a = good_arguments()
    calls = [lambda: mk.imaml_grad(a.loss, a.theta, a.task, a.lr, a.steps, a.lam, **{argument: value}),
             lambda: mk.meta_gradient("imaml", a.model.loss, a.mlp_theta, a.sine_tasks, lr=0.01, steps=1, lam=20.0,
                                      **{argument: value})]
    for call in calls:
        with pytest.raises(ValueError, match=f"{argument} must be a finite number >= 0"):
            call()


MISMATCHED = (LINE_A[0], LINE_A[1][:-1])


@pytest.mark.parametrize("name", takes("data"))
def test_x_and_y_of_different_lengths_as_data(name):
    raises_naming(name, "data", MISMATCHED, "same length")


@pytest.mark.parametrize("part", ["train", "test"])
@pytest.mark.parametrize("name", takes("task"))
def test_x_and_y_of_different_lengths_in_a_task(name, part):
    task = Task(MISMATCHED, LINE_B) if part == "train" else Task(LINE_A, MISMATCHED)
    raises_naming(name, "task", task, "same length")


def test_x_and_y_of_different_lengths_for_gauss_newton_split():
    x, y = SINE[0].train
    raises_naming("gauss_newton_split", "mlp_data", (x, y[:-1]), "same length")


@pytest.mark.parametrize("name", sorted(set(takes("loss")) - {"conjugate_gradient"}))
def test_loss_returning_a_vector(name):
    raises_naming(name, "loss", lambda theta, data: theta * 2.0, "scalar")


def test_loss_returning_a_one_element_array_is_a_scalar():
    def loss(theta, data):
        return anp.reshape(anp.sum(theta ** 2), (1,))

    np.testing.assert_allclose(mk.pretrain_grad(loss, np.array([1.0, 2.0]), Task(None, None)), [2.0, 4.0])


def test_task_that_is_not_a_task():
    with pytest.raises(ValueError, match="task must be a Task"):
        mk.maml_grad(tasks.softplus_line_loss, np.array([0.3, 0.5]), LINE_A[0], 0.1)


def test_integer_theta_and_numpy_integer_steps_are_accepted():
    """Whole numbers are fine: θ of ints is read as floats, a numpy integer is a valid step count."""
    a = good_arguments()
    np.testing.assert_allclose(mk.adapt(a.loss, np.array([0, 1]), a.data, a.lr, np.int64(2)),
                               mk.adapt(a.loss, np.array([0.0, 1.0]), a.data, a.lr, 2), rtol=1e-15)


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
    assert not any(id(array) in inputs for array in arrays_in(result if isinstance(result, (tuple, list))
                                                                 else [result]))


FLAT_TARGETS = (SINE[0].train[0], SINE[0].train[1].ravel())  # y of shape (K,) against the MLP's (K, 1) outputs


@pytest.mark.parametrize("name", ["MLP.loss", "gauss_newton_split"])
def test_targets_without_the_output_axis(name):
    """numpy would broadcast (K,) targets against (K, 1) outputs into K×K errors: a wrong loss, silently."""
    raises_naming(name, "mlp_data", FLAT_TARGETS, "output shape (5, 1)")


def test_targets_without_the_output_axis_in_a_task():
    a = good_arguments()
    task = Task(FLAT_TARGETS, FLAT_TARGETS)  # both sets alike: a task whose two sets differ is refused before the model
    for call in (lambda: mk.maml_grad(MLP.loss, a.mlp_theta, task, 0.01, 1),
                 lambda: mk.meta_gradient("fomaml", MLP.loss, a.mlp_theta, [task, task], lr=0.01, steps=1),
                 lambda: gauss_newton_meta_grad(MLP, a.mlp_theta, task, 0.01, 1)):
        with pytest.raises(ValueError, match=r"data: y must have the model's output shape \(5, 1\), got \(5,\)"):
            call()


@pytest.mark.parametrize("method, hyper, message", [
    ("reptile", {"lr": 0.1}, "missing steps"),
    ("maml", {"lr": 0.1, "step": 3}, "does not take step"),
    ("pretrain", {"lr": 0.1}, "does not take lr"),
    ("maml", {}, "missing lr"),
    ("imaml", {"lr": 0.1, "steps": 1}, "missing lam"),
])
def test_missing_or_unknown_hyperparameters(method, hyper, message):
    a = good_arguments()
    calls = (lambda: mk.meta_gradient(method, a.loss, a.theta, [a.task], **hyper),
             lambda: mk.meta_train(method, a.loss, a.theta, lambda rng, n: [a.task] * n, 2, 2, 0.01, progress=False,
                                   **hyper))
    for call in calls:
        with pytest.raises(ValueError, match=f"hyperparameters of '{method}': {message}") as info:
            call()
        assert "it takes:" in str(info.value)


@pytest.mark.parametrize("call, message", [
    (lambda family, rng: family.sample(rng, k_support=-1), "k_support must be a whole number >= 1"),
    (lambda family, rng: family.sample(rng, k_query=2.5), "k_query must be a whole number >= 1"),
    (lambda family, rng: family.sample_points(rng, 1.0, 0.0, 0), "k must be a whole number >= 1"),
    (lambda family, rng: family.sample_batch(rng, 0), "n_tasks must be a whole number >= 1"),
    (lambda family, rng: family.heldout(n_tasks=-1), "n_tasks must be a whole number >= 1"),
    (lambda family, rng: family.reference_heldout(k=0), "k must be a whole number >= 1"),
])
def test_bad_sinusoid_counts(call, message):
    with pytest.raises(ValueError, match=message):
        call(tasks.Sinusoid(), np.random.default_rng(0))


@pytest.mark.parametrize("lam", [-1.0, np.nan, np.inf, "2", True])
def test_bad_lam_for_grid_inner_path(lam):
    """λ = 0 is allowed here (plain steps), so the message names both choices; the error comes at the call."""
    with pytest.raises(ValueError, match=r"lam must be 0 \(plain steps\) or a finite number > 0"):
        landscape.grid_inner_path(tasks.softplus_line_loss, landscape.grid(n=4), LINE_A, 0.04, lam)


def test_bad_lr_for_grid_inner_path_and_step_norm():
    with pytest.raises(ValueError, match="lr must be a finite"):
        landscape.grid_inner_path(tasks.softplus_line_loss, landscape.grid(n=4), LINE_A, np.nan)
    with pytest.raises(ValueError, match="lr must be finite"):
        step_norm(-1.0, 3.0, np.array([0.1, np.nan]))
    first = next(landscape.grid_inner_path(tasks.softplus_line_loss, landscape.grid(n=4), LINE_A, 0.04, 0))
    np.testing.assert_array_equal(first, landscape.grid(n=4))


# ---------------------------------------------------------------------------------------------------------------
# Found by an audit of every public function with bad input (each of these once passed silently or raised
# something other than a ValueError naming the argument)

MLP_THETA = MLP.init(np.random.default_rng(1))


@pytest.mark.parametrize("theta", [np.append(MLP_THETA, 0.0), MLP_THETA[:-1]], ids=["one too many", "one too few"])
@pytest.mark.parametrize("call", [
    lambda t: mk.meta_gradient("maml", MLP.loss, t, SINE, lr=0.01, steps=1),
    lambda t: mk.meta_value_and_gradient("pretrain", MLP.loss, t, SINE),
    lambda t: mk.meta_train("fomaml", MLP.loss, t, lambda rng, n: SINE, 2, 2, 0.01, progress=False, lr=0.01, steps=1),
    lambda t: evaluate.adaptation_curve(MLP.loss, t, SINE, 0.01, 2),
    lambda t: mk.maml_grad(MLP.loss, t, SINE[0], 0.01, 1),
], ids=["meta_gradient", "meta_value_and_gradient", "meta_train", "adaptation_curve", "maml_grad"])
def test_an_mlp_theta_of_the_wrong_length_is_refused_on_both_paths(call, theta):
    """The vectorised path (an MLP's own loss) checks θ's length as the per-task path does; it once returned a
    gradient of the wrong length."""
    with pytest.raises(ValueError, match=f"theta must have {MLP.size} entries"):
        call(theta)


@pytest.mark.parametrize("x, shape", [(np.ones((5, 2)), "(5, 2)"), (np.ones(5), "(5,)"), (np.ones((2, 5, 1)), "(2, 5, 1)")])
def test_mlp_inputs_of_the_wrong_shape_are_refused(x, shape):
    with pytest.raises(ValueError, match=rf"x must have shape \('K', 1\) for theta of shape \({MLP.size},\), got shape "
                                         + shape.replace("(", r"\(").replace(")", r"\)")):
        MLP.loss(MLP_THETA, (x, np.ones((len(x), 1))))


@pytest.mark.parametrize("data", [None, SINE[0].train[0], SINE[0].train + (1.0,)])
def test_mlp_data_that_is_not_a_pair_is_refused(data):
    with pytest.raises(ValueError, match="data must be an \\(x, y\\) pair of arrays"):
        MLP.loss(MLP_THETA, data)


def test_a_task_passed_where_one_data_set_is_expected_is_refused():
    """reptile_grad takes data or a Task: (train, test) as a plain pair once trained on train as x and test as y."""
    task = SINE[0]
    with pytest.raises(ValueError, match="data must be one \\(x, y\\) pair of arrays, got a pair of \\(x, y\\) pairs"):
        mk.reptile_grad(MLP.loss, MLP_THETA, (task.train, task.test), 0.01, 2)


@pytest.mark.parametrize("part", ["train", "test"])
def test_an_empty_data_set_is_refused(part):
    """An empty query set once gave a zero meta-gradient (and a nan loss) instead of an error."""
    x, y = SINE[0].train
    sets = {"train": SINE[0].train, "test": SINE[0].test, part: (x[:0], y[:0])}
    task = Task(sets["train"], sets["test"])
    for call in (lambda: mk.maml_grad(MLP.loss, MLP_THETA, task, 0.01, 1),
                 lambda: mk.meta_gradient("fomaml", MLP.loss, MLP_THETA, [task, task], lr=0.01, steps=1),
                 lambda: evaluate.adaptation_curve(MLP.loss, MLP_THETA, [task], 0.01, 1)):
        with pytest.raises(ValueError, match=f"task.{part} must hold at least one point"):
            call()


def test_data_sets_given_as_lists_are_used_like_tuples():
    """joint_data once kept only the support set of Task([x, y], [xq, yq]); pretrain and Reptile use both sets."""
    task = SINE[0]
    as_lists = Task(list(task.train), list(task.test))
    for method, hyper in [("pretrain", {}), ("reptile", {"lr": 0.01, "steps": 2})]:
        np.testing.assert_allclose(mk.meta_gradient(method, MLP.loss, MLP_THETA, [as_lists], **hyper),
                                   mk.meta_gradient(method, MLP.loss, MLP_THETA, [task], **hyper), rtol=1e-12)
    np.testing.assert_allclose(mk.pretrain_grad(MLP.loss, MLP_THETA, as_lists),
                               mk.pretrain_grad(MLP.loss, MLP_THETA, task), rtol=1e-12)


@pytest.mark.parametrize("loss, data", [(tasks.softplus_line_loss, LINE_A), (tasks.quadratic_loss, tasks.Quadratic().data),
                                        (tasks.bumps_loss, tasks.Bumps([[0, 0], [1, 1], [0.5, 0.5], [0.2, 0.8]]).data)])
@pytest.mark.parametrize("theta", [np.array([0.2, 0.1, 5.0]), np.array([0.2]), np.ones((3, 4, 4))])
def test_toy_losses_take_exactly_two_parameters(loss, data, theta):
    """A third entry was once ignored (its gradient 0) and one entry broadcast."""
    with pytest.raises(ValueError, match="theta must hold the 2 parameters"):
        loss(theta, data)
    if theta.ndim == 1:
        with pytest.raises(ValueError, match="theta must hold the 2 parameters"):
            mk.maml_grad(loss, theta, Task(data, data), 0.01, 1)


@pytest.mark.parametrize("b, message", [(np.array([np.inf, 1.0]), "b must be finite"),
                                        (np.array([np.nan, 1.0]), "b must be finite"),
                                        (np.ones((2, 2)), "b must be a non-empty 1-D vector")])
def test_conjugate_gradient_refuses_a_bad_right_hand_side(b, message):
    with pytest.raises(ValueError, match=message):
        mk.conjugate_gradient(lambda v: 2.0 * v, b, 3)


@pytest.mark.parametrize("tol", [-1e-3, np.nan, np.inf, "a"])
def test_conjugate_gradient_refuses_a_bad_tolerance(tol):
    with pytest.raises(ValueError, match="tol must be a finite number >= 0"):
        mk.conjugate_gradient(lambda v: 2.0 * v, np.ones(2), 3, tol=tol)


@pytest.mark.parametrize("value, message", [([], "tasks must hold at least one Task"),
                                            (None, "tasks must be a list \\(or iterable\\) of Task")])
def test_no_tasks_is_refused(value, message):
    for call in (lambda: evaluate.adaptation_curve(MLP.loss, MLP_THETA, value, 0.01, 1),
                 lambda: mk.meta_value_and_gradient("maml", MLP.loss, MLP_THETA, value, lr=0.01, steps=1)):
        with pytest.raises(ValueError, match=message):
            call()


@pytest.mark.parametrize("call", [lambda: MLP.init(0), lambda: tasks.Sinusoid().sample(0),
                                  lambda: tasks.Sinusoid().task(1, 1.0, 0.5)])
def test_a_seed_where_a_generator_is_expected_is_refused(call):
    with pytest.raises(ValueError, match="rng must be a numpy random generator"):
        call()


def test_other_draws_of_a_model_that_has_none_is_refused():
    with pytest.raises(ValueError, match="the fomaml model has no other draws"):
        zoo.other_draws(zoo.load("fomaml")[2])


@pytest.mark.parametrize("kwargs, message", [({"n": 2.5}, "n must be a whole number >= 2"),
                                             ({"n": 1}, "n must be a whole number >= 2"),
                                             ({"n": True}, "n must be a whole number >= 2"),
                                             ({"extent": (0, 1, 0)}, "extent must be 4 finite numbers"),
                                             ({"extent": (0, 1, 0, np.nan)}, "extent must be 4 finite numbers")])
def test_bad_grids(kwargs, message):
    with pytest.raises(ValueError, match=message):
        landscape.grid(**kwargs)


@pytest.mark.parametrize("args, message", [((np.nan, 2.0, 0.1), "lam_min must be a finite"),
                                           ((3.0, 2.0, 0.1), "lam_min must not exceed lam_max"),
                                           ((1.0, 2.0, "0.1"), "lr must be finite real numbers")])
def test_step_norm_checks_like_contraction_limit(args, message):
    with pytest.raises(ValueError, match=message):
        step_norm(*args)


def test_grid_meta_loss_of_no_tasks_is_refused():
    """With no tasks the other arguments were never checked and the total came out as 0."""
    with pytest.raises(ValueError, match="tasks must hold at least one Task"):
        landscape.grid_meta_loss(tasks.softplus_line_loss, [], landscape.grid(n=4), np.nan, -1)


@pytest.mark.parametrize("sizes", [(1, np.inf, 1), (1, None, 1), 5, (1, "a", 1), (1, np.nan, 1), (1, True, 1), (1,),
                                   (1, 0, 1), (1, 2.5, 1)])
def test_bad_mlp_sizes(sizes):
    with pytest.raises(ValueError, match="sizes must be at least two positive whole numbers"):
        models.MLP(sizes)


@pytest.mark.parametrize("tolerance", ["rtol", "atol"])
@pytest.mark.parametrize("value", [np.inf, -1.0, "a"])
def test_exercise_tolerances_are_checked(tolerance, value):
    """An infinite atol once called a wrong answer correct."""
    with pytest.raises(ValueError, match=f"{tolerance} must be a finite number >= 0"):
        exercises.check("q", 1.0, 2.0, **{tolerance: value})


@pytest.mark.parametrize("call, message", [
    (lambda: evaluate.mean_ci95([]), "values must hold at least one number"),
    (lambda: evaluate.mean_ci95(3.0), "values must hold at least one number"),
    (lambda: evaluate.runaway([1.0, 2.0], 1.0), "curves must be numbers of shape \\(n_tasks, steps \\+ 1\\)"),
    (lambda: evaluate.spikes(np.ones((2, 3)), np.nan), "limit must be a finite real number"),
    (lambda: evaluate.runaway(np.ones((2, 3)), "1"), "limit must be a finite real number"),
    (lambda: taylor.predicted_updates(np.ones(3), np.ones(1), 0.1, 2), "avg_grad and avg_grad_inner must have the same"),
    (lambda: taylor.predicted_updates(np.ones(2), np.array([np.nan, 1.0]), 0.1, 2), "avg_grad_inner must be finite"),
    (lambda: zoo.save("x", MLP, MLP_THETA[:-1], {}, "/nonexistent"), f"theta must have {MLP.size} entries"),
    (lambda: zoo.save("x", MLP, np.append(MLP_THETA[:-1], np.nan), {}, "/nonexistent"), "theta must be finite"),
    (lambda: zoo.load("maml", directory="/nonexistent"), "directory must be a folder of saved models"),
])
def test_bad_input_to_the_helpers(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_numpy_numbers_in_a_weight_files_info_are_stored_as_plain_numbers(tmp_path):
    info = {"iterations": np.int64(3), "score": np.float32(0.5), "curve": np.array([1.0, np.inf])}
    mk.zoo.save("x", MLP, MLP_THETA, info, tmp_path)
    assert zoo.load("x", directory=tmp_path)[2] == {"iterations": 3, "score": 0.5, "curve": [1.0, None]}


@pytest.mark.parametrize("call, message", [
    (lambda: tasks.Sinusoid(amplitude=5.0), "amplitude must be two finite numbers"),
    (lambda: tasks.Sinusoid(phase=(0.0, np.nan)), "phase must be two finite numbers"),
    (lambda: tasks.Sinusoid(x_range=(-5.0, 0.0, 5.0)), "x_range must be two finite numbers"),
    (lambda: tasks.Sinusoid(x_range=(5.0, -5.0)), "low <= high"),
    (lambda: tasks.SoftplusLine(1.0, 0.5, n=2.5), "n must be a whole number >= 1"),
    (lambda: tasks.SoftplusLine(np.nan, 0.5), "a must be a finite real number"),
    (lambda: tasks.Quadratic(a=np.nan), "a must be a finite real number"),
    (lambda: tasks.Quadratic(g=(0.1, 0.2, 0.3)), "g must be 2 finite numbers"),
    (lambda: tasks.Bumps([[0, 0], [1, 1], [0.5, 0.5], [0.2, 0.8]], sharpness=np.nan), "sharpness must be a finite number > 0"),
    (lambda: tasks.Sinusoid().heldout(2, seed=2.5), "seed must be a whole number >= 0"),
    (lambda: tasks.Sinusoid().reference_heldout(2, seed=-1), "seed must be a whole number >= 0"),
    (lambda: mk.meta_train("fomaml", MLP.loss, MLP_THETA, lambda rng, n: SINE, 2, 2, 0.01, seed="a", progress=False,
                           lr=0.01, steps=1), "seed must be a whole number >= 0"),
    (lambda: spectrum.extreme_eigenvalues(MLP.loss, MLP_THETA, SINE[0].train, 1, "LA", "a"), "tol must be a finite number >= 0"),
])
def test_bad_constructor_and_seed_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_task_whose_sets_hold_points_of_different_shapes_is_refused():
    """Pretraining concatenates the two sets; numpy once raised its own error about concatenation axes."""
    x, y = SINE[0].test
    task = Task(SINE[0].train, (np.hstack([x, x]), y))
    for call in (lambda: mk.pretrain_grad(MLP.loss, MLP_THETA, task), lambda: mk.maml_grad(MLP.loss, MLP_THETA, task, 0.01, 1)):
        with pytest.raises(ValueError, match="task.train and task.test must hold points of the same shape"):
            call()
