"""The input checks of the public entry points: a ValueError naming the argument and its range.

What a user passes is checked once, where it enters; the library's own calls are not checked again.
The checks read through autograd's boxes (``getval``): a traced θ is checked by value.
"""
import numbers

import numpy as np
from autograd.tracer import getval


def finite_vector(v, name="theta"):
    """A non-empty 1-D vector of finite reals, as a float64 copy (a traced box as it is)."""
    value = getval(v)
    try:
        arr = np.asarray(value)
    except Exception as err:  # noqa: BLE001 - anything numpy cannot read is not a vector
        raise ValueError(f"{name} must be a 1-D vector of finite floats, got {value!r}") from err
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "fiu" or not np.isfinite(arr).all():
        finite = "" if arr.dtype.kind not in "fiu" or np.isfinite(arr).all() else ", not all finite"
        raise ValueError(f"{name} must be a non-empty 1-D vector (d,) of finite real numbers, got "
                         f"shape {arr.shape} of {arr.dtype}{finite}")
    return arr.astype(np.float64) if v is value else v


def whole_number(n, name="steps", minimum=0):
    """A count: an int (not a bool or a float) of at least ``minimum``."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {n!r}")
    return int(n)


def finite_number(x, name="lr"):
    """A finite real number (a learning rate, a coefficient)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x):
        raise ValueError(f"{name} must be a finite real number, got {x!r}")
    return float(x)


def positive_number(x, name="lam"):
    """A finite number > 0 (λ, a meta learning rate)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not 0 < x < np.inf:
        raise ValueError(f"{name} must be a finite number > 0, got {x!r}")
    return float(x)


def is_pair(data):
    return isinstance(data, (tuple, list)) and len(data) == 2


def is_array_pair(data):
    return is_pair(data) and all(hasattr(v, "shape") for v in data)


def check_data(data, name="data"):
    """One (x, y) data set, as many targets as inputs and at least one point; not a task's two sets.

    Data that is not a pair of arrays (a toy problem's constants) is the loss's business and passes.
    """
    if is_pair(data) and all(is_array_pair(part) for part in data):
        raise ValueError(f"{name} must be one (x, y) pair of arrays, got a pair of (x, y) pairs "
                         "(for a task's support and query sets use Task(train, test))")
    if is_array_pair(data) and np.ndim(data[0]) >= 1 and np.ndim(data[1]) >= 1:
        n_x, n_y = len(data[0]), len(data[1])
        if n_x != n_y or n_x == 0:
            raise ValueError(f"{name} must hold at least one point and as many targets as inputs, "
                             f"got {n_x} inputs and {n_y} targets")
    return data


def check_task(task, name="task"):
    """A Task(train, test) whose two data sets are valid and hold points of the same shape."""
    if not (hasattr(task, "train") and hasattr(task, "test")):
        raise ValueError(f"{name} must be a Task(train, test), got {type(task).__name__}")
    check_data(task.train, f"{name}.train")
    check_data(task.test, f"{name}.test")
    if is_array_pair(task.train) and is_array_pair(task.test):
        shapes = [tuple(np.shape(v)[1:] for v in part) for part in (task.train, task.test)]
        if shapes[0] != shapes[1]:
            raise ValueError(f"{name}.train and {name}.test must hold points of the same shape, "
                             f"got x and y shapes (K, …) of {shapes[0]} and {shapes[1]}")
    return task


def check_tasks(tasks):
    """A non-empty list (or iterable) of Tasks."""
    try:
        tasks = list(tasks)
    except TypeError as err:
        raise ValueError(f"tasks must be a list of Task(train, test), got {tasks!r}") from err
    if not tasks:
        raise ValueError("tasks must hold at least one Task, got none")
    return [check_task(task) for task in tasks]


def check_targets(shape, y, name="data"):
    """y of the model's output shape: (K,) targets against (K, 1) outputs would broadcast to K×K."""
    if tuple(shape) != np.shape(y):
        raise ValueError(f"{name}: y must have the model's output shape {tuple(shape)}, got "
                         f"{np.shape(y)}")


def scalar_loss(loss):
    """``loss``, raising a ValueError when it returns a non-scalar (autograd would sum it)."""

    def checked(theta, data):
        value = loss(theta, data)
        if np.size(getval(value)) != 1:
            raise ValueError(f"loss must return a scalar, got shape {np.shape(getval(value))}")
        return value

    return checked
