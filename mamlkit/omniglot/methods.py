"""The five methods on Omniglot: how each trains its θ, how a trained θ plays a task, the weights.

* ``pretrained``: one classifier over all training classes, minibatches of drawings; at test its
  body is frozen and a new N-way head is fitted on the support features by ``inner_loop``.
* ``maml``, ``fomaml``, ``reptile``: the library's meta-gradients (``meta_value_and_gradient``) on
  φ⁰ = replicate(θ, N), folded back to θ; at test ``inner_loop`` adapts φ⁰ on the support set.
* ``protonet``: the body alone, trained on the query cross-entropy of ``prototype_logits``.

Every method takes Adam steps (autograd's) on its direction; ``SETTINGS`` holds what was fixed
before the benchmark ran. ``predict(method, θ, (xs, ys), xq)`` plays one task or a stack of them.
"""
import json
import time

import autograd
import autograd.numpy as np
import numpy
from autograd.misc.optimizers import adam
from tqdm.auto import tqdm

from .. import zoo
from ..checks import finite_number, finite_vector, is_pair, whole_number
from ..inner import inner_loop
from ..meta import meta_value_and_gradient
from ..models import MLP
from ..tasks import Task, stack
from . import data
from .models import (BODY, Classifier, embed, fold, network, prototype_logits, protonet_loss,
                     replicate)

METHODS = ("pretrained", "maml", "fomaml", "reptile", "protonet")
HEADLESS = ("pretrained", "protonet")  # their θ is the body alone (pretrained: once trained)
BODY_SIZE = MLP(BODY).size
EPISODE = {"n_way": 20, "queries": 5, "meta_batch": 4}  # 20-way 1-shot tasks, 5 queries a class
SETTINGS = {
    "pretrained": {"batch": 128, "meta_lr": 1e-3, "lr": 1.0, "steps": 100},
    "maml": {**EPISODE, "meta_lr": 1e-3, "lr": 1.6, "steps": 1},
    "fomaml": {**EPISODE, "meta_lr": 1e-3, "lr": 1.6, "steps": 1},
    "reptile": {**EPISODE, "meta_lr": 1e-3, "lr": 0.4, "steps": 5},
    "protonet": {**EPISODE, "meta_lr": 1e-3},
}


def check_method(method):
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    return method


def initial(method, n_classes, rng):
    """θ⁰: the body alone (protonet), with an n_classes-way head (pretrained) or one unit (else);
    weights ~ U(±√(6/m)) for m inputs, biases 0 (He et al. 2015: the features keep their scale
    through the ReLU layers, where PyTorch's default U(±1/√m) shrinks them layer by layer)."""
    sizes = BODY + {"protonet": (), "pretrained": (n_classes,)}.get(method, (1,))
    return numpy.concatenate([part for m, n in zip(sizes[:-1], sizes[1:]) for part in (
        rng.uniform(-1, 1, m * n) * numpy.sqrt(6 / m), numpy.zeros(n))])


def direction(method, theta, images, rng):
    """(loss, g) of one batch drawn from ``images`` (C, 20, s, s): the step Adam takes against."""
    s = SETTINGS[method]
    if method == "pretrained":
        classes = rng.integers(len(images), size=s["batch"])
        x = images[classes, rng.integers(images.shape[1], size=s["batch"])].reshape(s["batch"], -1)
        return meta_value_and_gradient("pretrain", network(len(images)).loss, theta,
                                       [Task((x, classes), (x, classes))])
    n = s["n_way"]
    tasks = [data.sample_task(images, n, 1, s["queries"], rng) for _ in range(s["meta_batch"])]
    if method == "protonet":
        return autograd.value_and_grad(lambda t: np.mean(protonet_loss(t, stack(tasks))))(theta)
    value, grad = meta_value_and_gradient(method, network(n).loss, replicate(theta, n), tasks,
                                          lr=s["lr"], steps=s["steps"])
    return value, fold(grad, n)


def predict(method, theta, support, query, lr=None, steps=None):
    """The labels a trained θ gives the query points xq (Q, 784) after playing the support set
    (xs (K, 784), ys (K,) in 0..N−1, every class present), or T tasks at once ((T, K, 784), …).

    maml, fomaml, reptile: argmax of the N-way net at φ = ``steps`` steps of rate ``lr`` from
    replicate(θ, N) on the support set; protonet: the nearest class mean of the features;
    pretrained: a zero N-way head fitted by ``steps`` steps on the features (scaled to unit RMS
    norm).
    ``lr`` and ``steps`` default to the method's ``SETTINGS``.
    """
    check_method(method)
    if not is_pair(support):
        raise ValueError(f"support must be a pair (xs, ys), got {type(support).__name__}")
    (xs, ys), xq = support, numpy.asarray(query, dtype=float)
    xs, ys = numpy.asarray(xs, dtype=float), numpy.asarray(ys)
    if xs.ndim not in (2, 3) or xs.shape[-1] != BODY[0] or ys.shape != xs.shape[:-1]:
        raise ValueError(f"support must be (xs (K, {BODY[0]}), ys (K,)) or a stack of T tasks, "
                         f"got shapes {xs.shape} and {ys.shape}")
    if xq.shape[:-2] != xs.shape[:-2] or xq.ndim != xs.ndim or xq.shape[-1] != BODY[0]:
        raise ValueError(f"query must be points (Q, {BODY[0]}) like the support's, got {xq.shape}")
    if xs.ndim == 2:
        return predict(method, theta, (xs[None], ys[None]), xq[None], lr, steps)[0]
    n = int(ys.max()) + 1 if ys.size and ys.min() >= 0 else 0
    if ys.dtype.kind not in "iu" or n < 1 or any(numpy.unique(row).size != n for row in ys):
        raise ValueError(f"ys must label every point with a whole number 0..N-1, each class "
                         f"present, got {ys.tolist()}")
    theta = finite_vector(theta)
    s, size = SETTINGS[method], BODY_SIZE + (0 if method in HEADLESS else BODY[-1] + 1)
    if theta.shape != (size,):
        raise ValueError(f"theta must have {size} entries for {method}, got {theta.shape}")
    lr = s.get("lr") if lr is None else finite_number(lr)
    steps = s.get("steps") if steps is None else whole_number(steps)
    if method == "protonet":
        return numpy.argmax(prototype_logits(embed(theta, xs), ys, embed(theta, xq)), axis=-1)
    if method == "pretrained":
        fs, fq = embed(theta, xs), embed(theta, xq)
        scale = numpy.sqrt(numpy.mean(numpy.sum(fs ** 2, -1), -1))[:, None, None] + 1e-12
        head = Classifier((BODY[-1], n))
        fitted = inner_loop(head.loss, numpy.zeros((len(xs), head.size)), (fs / scale, ys), lr,
                            steps)
        return head.predict(fitted, fq / scale)
    net = network(n)
    phi = inner_loop(net.loss, numpy.repeat(replicate(theta, n)[None], len(xs), 0), (xs, ys), lr,
                     steps)
    return net.predict(phi, xq)


def accuracies(method, theta, tasks, chunk=25, **hyper):
    """Per task of ``tasks`` (Tasks of equal shapes), the fraction of its queries labelled right."""
    right = []
    for start in range(0, len(tasks), chunk):
        (xs, ys), (xq, yq) = stack(tasks[start:start + chunk])
        right.append(numpy.mean(predict(method, theta, (xs, ys), xq, **hyper) == yq, axis=-1))
    return numpy.concatenate(right)


class Diverged(FloatingPointError):
    """A non-finite loss or direction at iteration ``args[0]``."""


class OutOfTime(Exception):
    """The time budget ran out before iteration ``args[1]``, at θ = ``args[0]``."""


def train(method, images, validation, iterations, seed=0, every=100, budget=None, progress=True):
    """(θ, info): Adam on ``direction`` for ``iterations`` batches drawn from ``images`` (C, 20,
    s, s), or until ``budget`` seconds have passed; every ``every`` iterations and at the end, θ is
    scored on 50 fixed 20-way 1-shot tasks of the ``validation`` classes, and the best θ is
    returned (for pretrained: its body)."""
    check_method(method)
    rng, start = numpy.random.default_rng(seed), time.perf_counter()
    theta = initial(method, len(images), rng)
    checks = [data.sample_task(validation, 20, 1, 5, rng) for _ in range(50)]
    losses, scores, best = [], [], (-1.0, None, 0)
    bar = tqdm(total=iterations, desc=f"training {method}", disable=not progress)

    def score(current, iteration):
        nonlocal best
        body = current[:BODY_SIZE] if method == "pretrained" else current
        scores.append((iteration, float(numpy.mean(accuracies(method, body, checks)))))
        if scores[-1][1] > best[0]:
            best = (scores[-1][1], body.copy(), iteration)
        bar.set_postfix(loss=f"{numpy.mean(losses[-every:]):.3f}", val=f"{scores[-1][1]:.3f}")

    def gradient(current, iteration):
        if budget is not None and time.perf_counter() - start > budget:
            raise OutOfTime(current, iteration)
        value, grad = direction(method, current, images, rng)
        if not (numpy.isfinite(value) and numpy.all(numpy.isfinite(grad))):
            raise Diverged(iteration)
        losses.append(float(value))
        bar.update(1)
        return grad

    def observe(current, iteration, _grad):
        if iteration % every == 0 and iteration:
            score(current, iteration)

    diverged, done = None, iterations
    try:
        theta = adam(gradient, theta, callback=observe, num_iters=iterations,
                     step_size=SETTINGS[method]["meta_lr"])
        score(theta, iterations)
    except OutOfTime as stop:
        theta, done = stop.args
        score(theta, done)
    except Diverged as stop:  # keep the best checkpoint scored so far
        diverged = done = stop.args[0]
    bar.close()
    if best[1] is None:
        raise FloatingPointError(f"{method} diverged at iteration {diverged}, before any check")
    return best[1], {"method": method, "settings": SETTINGS[method], "iterations": done,
                     "planned_iterations": iterations, "budget_seconds": budget,
                     "seed": seed, "best_iteration": best[2], "validation": scores,
                     "diverged_at": diverged,
                     "loss": losses[::max(1, iterations // 200)]}


def save(method, theta, info, directory=None):
    """θ as float16 in <directory or mamlkit/weights>/omniglot_<method>.npz (``zoo.load`` reads it:
    the sizes are the body's, with one output unit for maml, fomaml and reptile)."""
    folder = zoo.WEIGHTS if directory is None else directory
    sizes = BODY if check_method(method) in HEADLESS else BODY + (1,)
    numpy.savez_compressed(folder / f"omniglot_{method}.npz", theta=theta.astype(numpy.float16),
                           sizes=numpy.array(sizes), activation="relu",
                           info=json.dumps(info, allow_nan=False))


def load(method, directory=None):
    """(θ float64, info) of a shipped method (or of one saved in ``directory``)."""
    _, theta, info = zoo.load(f"omniglot_{check_method(method)}", directory)
    return theta.astype(numpy.float64), info
