"""Reference answers of lesson 01's exercises (see mamlkit.exercises), computed by the library."""
import numpy as np

from ..meta import maml_grad, meta_gradient
from ..models import MLP
from ..tasks import Sinusoid, SoftplusLine, softplus_line_loss
from ..train import meta_train

THETA = np.array([0.35, 0.55])  # the starting point of the lesson's two-task pictures


def softplus_tasks():
    """The lesson's two softplus tasks (landscapes.two_tasks: true (a, b), seeds 0 and 1)."""
    return [SoftplusLine(a, b, seed=seed).task
            for seed, (a, b) in enumerate(((0.3, 0.05), (0.83, 0.75)))]


def three_inner_steps():
    """MAML's gradient after k = 3 steps (α = 0.01) at the lesson's θ₀ for the first task of its
    batch of 25 sinusoid tasks (both drawn with seed 0)."""
    model = MLP((1, 40, 40, 1), "relu")
    theta0 = model.init(np.random.default_rng(0))
    task = Sinusoid().sample_batch(np.random.default_rng(0), 25, k_support=10, k_query=10)[0]
    return maml_grad(model.loss, theta0, task, lr=0.01, steps=3)


def outer_loop(loss, theta, tasks, lr, steps, meta_lr, iterations):
    """θ before and after each of ``iterations`` SGD steps θ ← θ − β·mean_i ∇L_i^te(U_i^k(θ)) on
    all of ``tasks``: mamlkit.meta_train's iterates, shape (iterations + 1, d)."""
    path = []
    last, _ = meta_train("maml", loss, np.asarray(theta, dtype=float), lambda rng, n: tasks,
                         iterations, meta_batch=len(tasks), meta_lr=meta_lr, optimizer="sgd",
                         progress=False, callback=lambda current, t: path.append(current),
                         lr=lr, steps=steps)
    return np.array(path + [last])


ANSWERS = {
    "meta-gradient by the chain rule": {
        "value": lambda: maml_grad(softplus_line_loss, THETA, softplus_tasks()[0], lr=0.04,
                                   steps=1)},
    "three inner steps": {"value": three_inner_steps, "atol": 1e-10},
    "zero inner steps": {
        "value": lambda: meta_gradient("maml", softplus_line_loss, THETA, softplus_tasks(),
                                       lr=0.01, steps=0)},
    "outer loop": {
        "function": outer_loop,
        "cases": [(softplus_line_loss, THETA, softplus_tasks(), 0.01, 1, 0.05, 3),
                  (softplus_line_loss, THETA, softplus_tasks(), 0.04, 3, 0.1, 3),
                  (softplus_line_loss, np.array([0.9, 0.2]), softplus_tasks(), 0.02, 0, 0.05, 3),
                  (softplus_line_loss, THETA, softplus_tasks()[1:], 0.03, 2, 0.2, 3)]},
}  # every case of "outer loop" runs 3 iterations: check compares the answers as one array
