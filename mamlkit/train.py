"""The outer loop: meta-training θ on batches of tasks drawn from a task family."""
import time
from dataclasses import dataclass, field

import numpy as onp
from autograd.misc.optimizers import adam, sgd
from tqdm.auto import tqdm

from .checks import check_positive, check_seed, check_steps, check_theta
from .meta import check_hyper, meta_value_and_gradient

OPTIMIZERS = ("adam", "sgd")


@dataclass
class History:
    """What meta-training recorded per iteration: the method's mean loss and the wall time since the start (s)."""

    loss: list = field(default_factory=list)
    time: list = field(default_factory=list)


class DivergenceError(RuntimeError):
    """Meta-training produced a non-finite loss or gradient.

    ``iteration`` is where it happened, ``history`` holds everything recorded so far (that iteration's loss last,
    which is non-finite unless only the gradient overflowed) and ``theta`` the last parameters evaluated.
    """

    def __init__(self, iteration, history, theta):
        super().__init__(
            f"meta-training diverged at iteration {iteration}: meta-loss {history.loss[-1]!r} or its gradient is "
            "not finite; lower meta_lr (or the inner lr). The history so far is in .history."
        )
        self.iteration, self.history, self.theta = iteration, history, theta


def meta_train(method, loss, theta, sample_tasks, iterations, meta_batch, meta_lr, optimizer="adam", seed=0,
               progress=True, callback=None, **hyper):
    """Meta-train θ: at each iteration t draw B = ``meta_batch`` tasks τ_1..τ_B = sample_tasks(rng, B) and step

        θ ← Opt(θ, ḡ),  ḡ = (1/B) Σ_i g_method(θ; τ_i)    (see ``meta_gradient``; ``hyper`` are its lr, steps, …)

    with Opt = Adam or plain SGD (for Reptile, SGD with rate β is its θ ← θ + β(φ̄ − θ)). The random generator is
    ``numpy.random.default_rng(seed)`` (an int, or a SeedSequence), so a run is reproducible. ``callback(θ_t, t)``,
    if given, sees θ after t updates for t = 0 … iterations − 1 (to keep checkpoints; the final θ is the return
    value). Returns (θ, History). A non-finite loss or gradient raises ``DivergenceError`` carrying the history so
    far.
    """
    hyper = check_hyper(method, hyper)
    theta = check_theta(theta)
    iterations = check_steps(iterations, "iterations")
    meta_batch = check_steps(meta_batch, "meta_batch", minimum=1)
    meta_lr = check_positive(meta_lr, "meta_lr")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {optimizer!r}")
    rng = onp.random.default_rng(check_seed(seed))
    history = History()
    start = time.perf_counter()
    bar = tqdm(total=iterations, desc=f"meta-training {method}", disable=not progress, leave=True)

    def batch_gradient(current, iteration):
        value, grad = meta_value_and_gradient(method, loss, current, sample_tasks(rng, meta_batch), **hyper)
        history.loss.append(value)
        history.time.append(time.perf_counter() - start)
        if not (onp.isfinite(value) and onp.all(onp.isfinite(grad))):
            bar.close()
            raise DivergenceError(iteration, history, current)
        bar.update(1)
        if iteration % 20 == 0:
            bar.set_postfix(loss=f"{value:.3f}")
        return grad

    def observe(current, iteration, _grad):  # autograd's optimisers call this before update number iteration + 1
        if callback is not None:
            callback(current, iteration)

    if optimizer == "adam":
        theta = adam(batch_gradient, theta, callback=observe, num_iters=iterations, step_size=meta_lr)
    else:
        theta = sgd(batch_gradient, theta, callback=observe, num_iters=iterations, step_size=meta_lr, mass=0.0)
    bar.close()
    return theta, history
