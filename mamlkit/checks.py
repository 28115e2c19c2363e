"""Input validation shared by the public functions.

Every public function of mamlkit validates its arguments here and raises a ``ValueError`` that names the
argument and the range it must lie in. The checks look through autograd's boxes (``getval``) so that the
public functions stay differentiable: a traced θ is checked by value and passed on untouched.
"""
import numbers

import numpy as onp
from autograd.tracer import getval


def check_theta(theta, name="theta"):
    """θ must be a flat 1-D vector of finite real numbers; returns a float64 copy (or the traced box as is)."""
    value = getval(theta)
    try:
        arr = onp.asarray(value)
    except Exception as err:  # noqa: BLE001 - anything numpy cannot read is a bad θ
        raise ValueError(f"{name} must be a 1-D vector of finite floats, got {type(value).__name__}") from err
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D vector (shape (d,)), got shape {arr.shape}")
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be a vector of real numbers, got dtype {arr.dtype}")
    if not onp.all(onp.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {onp.sum(~onp.isfinite(arr))} non-finite entries")
    if theta is value:  # a plain array: work on a float64 copy so the caller's array is never touched
        return arr.astype(onp.float64)
    return theta


def check_steps(steps, name="steps", minimum=0):
    """A step count must be a whole number (int, not bool or float) at least ``minimum``."""
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {steps!r}")
    if steps < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {steps}")
    return int(steps)


def check_rate(value, name="lr"):
    """A learning rate (or any real hyperparameter) must be a finite real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not onp.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return float(value)


def check_positive(value, name="lam"):
    """A strength such as λ must be finite and strictly positive: 0 < value < inf."""
    # one test and one message, so that nan and inf are also told the allowed range, not just "finite"
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < onp.inf:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def check_nonnegative(value, name):
    """A damping term must be finite and at least 0: 0 <= value < inf."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < onp.inf:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def is_pair(data):
    """Whether ``data`` is a pair (a tuple or a list of two things), as (x, y) data sets are."""
    return isinstance(data, (tuple, list)) and len(data) == 2


def is_array_pair(data):
    """Whether ``data`` is a pair of arrays, such as an (x, y) data set."""
    return is_pair(data) and all(hasattr(v, "shape") for v in data)


def check_data(data, name="data"):
    """A data pair (x, y) must hold at least one point and as many targets as inputs (first axes agree).

    Data that is not a pair of arrays (a toy problem's constants, say) passes unchecked: the loss owns it. A pair of
    (x, y) pairs is refused: it is a task's two sets passed where one set is expected.
    """
    if is_pair(data) and all(is_array_pair(part) for part in data):
        raise ValueError(f"{name} must be one (x, y) pair of arrays, got a pair of (x, y) pairs "
                         "(for a task's support and query sets use Task(train, test))")
    if is_array_pair(data):
        x, y = data
        if onp.ndim(x) >= 1 and onp.ndim(y) >= 1 and onp.shape(x)[0] != onp.shape(y)[0]:
            raise ValueError(
                f"{name}: x and y must have the same length, got {onp.shape(x)[0]} inputs and {onp.shape(y)[0]} targets"
            )
        if onp.ndim(x) >= 1 and onp.shape(x)[0] == 0:
            raise ValueError(f"{name} must hold at least one point (x, y), got none")
    return data


def check_targets(prediction, y, name="data"):
    """y must have the model's output shape: numpy would broadcast (K,) targets against (K, 1) outputs into a
    K×K error and return a wrong loss without complaint."""
    if onp.shape(prediction) != onp.shape(y):
        raise ValueError(f"{name}: y must have the model's output shape {onp.shape(prediction)}, got {onp.shape(y)}")


def check_rng(rng, name="rng"):
    """A source of randomness must be a numpy generator (``numpy.random.default_rng(seed)``; a legacy RandomState
    also draws, as the MAML code's test tasks need), not a seed."""
    if not isinstance(rng, (onp.random.Generator, onp.random.RandomState)):
        raise ValueError(f"{name} must be a numpy random generator such as numpy.random.default_rng(seed), got "
                         f"{type(rng).__name__}")
    return rng


def check_seed(seed, name="seed"):
    """A seed must be a whole number >= 0 (or a numpy SeedSequence, as training streams are)."""
    if isinstance(seed, onp.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{name} must be a whole number >= 0 or a numpy SeedSequence, got {seed!r}")
    return int(seed)


def check_interval(interval, name):
    """A range (low, high): two finite numbers with low <= high."""
    try:
        low, high = (float(v) for v in interval)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be two finite numbers (low, high), got {interval!r}") from err
    if not (onp.isfinite(low) and onp.isfinite(high) and low <= high):
        raise ValueError(f"{name} must be two finite numbers (low, high) with low <= high, got {interval!r}")
    return low, high


def check_task(task, name="task"):
    """A task must be a Task(train, test) (anything with .train and .test); both data sets are checked, and two
    (x, y) sets must hold points of the same shape (only their numbers of points may differ)."""
    if not (hasattr(task, "train") and hasattr(task, "test")):
        raise ValueError(f"{name} must be a Task(train, test), got {type(task).__name__}")
    check_data(task.train, f"{name}.train")
    check_data(task.test, f"{name}.test")
    if all(is_array_pair(part) for part in task):
        shapes = [tuple(onp.shape(v)[1:] for v in part) for part in task]
        if shapes[0] != shapes[1]:
            raise ValueError(f"{name}.train and {name}.test must hold points of the same shape, got x and y shapes "
                             f"(K, …) of {shapes[0]} and {shapes[1]}")
    return task


def check_tasks(tasks, name="tasks"):
    """A batch of tasks must be a non-empty iterable of Tasks; returns them checked, as a list."""
    try:
        tasks = list(tasks)
    except TypeError as err:
        raise ValueError(f"{name} must be a list (or iterable) of Task(train, test), got {type(tasks).__name__}") \
            from err
    if not tasks:
        raise ValueError(f"{name} must hold at least one Task, got none")
    return [check_task(task, "task") for task in tasks]


def scalar_loss(loss):
    """Wrap ``loss`` so that a non-scalar result is a ValueError instead of autograd's TypeError deep inside grad."""

    def checked(theta, data):
        value = loss(theta, data)
        if onp.ndim(getval(value)) != 0 and onp.size(getval(value)) != 1:
            raise ValueError(f"loss must return a scalar, got an array of shape {onp.shape(getval(value))}")
        return value

    return checked
