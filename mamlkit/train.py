"""The outer loop: meta-training θ on batches of tasks drawn from a task family."""
import time
from dataclasses import dataclass, field

import autograd.numpy as np
from autograd.misc.optimizers import adam, sgd
from tqdm.auto import tqdm

from .checks import finite_vector, positive_number, whole_number
from .meta import check_hyper, meta_value_and_gradient

OPTIMIZERS = {"adam": adam, "sgd": sgd}


@dataclass
class History:
    """Per iteration: the method's mean loss, and the wall time since the start (s)."""

    loss: list = field(default_factory=list)
    time: list = field(default_factory=list)


class DivergenceError(RuntimeError):
    """Meta-training met a non-finite loss or gradient at ``iteration``; ``history`` holds all that
    was recorded (that iteration's loss last) and ``theta`` the parameters last evaluated."""

    def __init__(self, iteration, history, theta):
        super().__init__(f"meta-training diverged at iteration {iteration}: meta-loss "
                         f"{history.loss[-1]!r} or its gradient is not finite; lower meta_lr (or "
                         "the inner lr). The history so far is in .history.")
        self.iteration, self.history, self.theta = iteration, history, theta


def meta_train(method, loss, theta, sample_tasks, iterations, meta_batch, meta_lr,
               optimizer="adam", seed=0, progress=True, callback=None, **hyper):
    """Meta-train θ: each iteration draws B = ``meta_batch`` tasks τ_i = sample_tasks(rng, B), then

        θ ← Opt(θ, ḡ),  ḡ = (1/B) Σ_i g_method(θ; τ_i)    (``meta_gradient``; ``hyper``: lr, steps…)

    with Opt Adam or plain SGD (for Reptile, SGD of rate β is θ ← θ + β(φ̄ − θ)); the generator is
    ``default_rng(seed)``. ``callback(θ_t, t)`` sees θ after t updates. Returns (θ, History); a
    non-finite loss or gradient raises ``DivergenceError`` with the history so far.
    """
    hyper, theta = check_hyper(method, hyper), finite_vector(theta)
    iterations, meta_batch = whole_number(iterations, "iterations"), whole_number(meta_batch,
                                                                                  "meta_batch", 1)
    meta_lr = positive_number(meta_lr, "meta_lr")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {optimizer!r}")
    rng, history, start = np.random.default_rng(seed), History(), time.perf_counter()
    bar = tqdm(total=iterations, desc=f"meta-training {method}", disable=not progress)

    def batch_gradient(current, iteration):
        value, grad = meta_value_and_gradient(method, loss, current, sample_tasks(rng, meta_batch),
                                              **hyper)
        history.loss.append(value)
        history.time.append(time.perf_counter() - start)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            bar.close()
            raise DivergenceError(iteration, history, current)
        bar.update(1)
        if iteration % 20 == 0:
            bar.set_postfix(loss=f"{value:.3f}")
        return grad

    def observe(current, iteration, _grad):  # called before update number iteration + 1
        if callback is not None:
            callback(current, iteration)

    options = {"mass": 0.0} if optimizer == "sgd" else {}
    theta = OPTIMIZERS[optimizer](batch_gradient, theta, callback=observe, num_iters=iterations,
                                  step_size=meta_lr, **options)
    bar.close()
    return theta, history
