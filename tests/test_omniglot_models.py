"""The Omniglot classifiers and methods: derivatives against finite differences, ProtoNets and the
head re-fit against hand computations, bad input, the quick benchmark and the shipped weights."""
import json
import pathlib
import subprocess
import sys

import autograd
import numpy as np
import pytest

from mamlkit import inner_loop, meta_value_and_gradient
from mamlkit.omniglot import data, load, methods, models, predict
from mamlkit.tasks import Task, stack

ROOT = pathlib.Path(__file__).resolve().parents[1]
TINY = (6, 5, 4)  # a body 6-5-4 for derivative checks
KEYS = {"5way1shot": {"acc", "ci95"}, "20way1shot": {"acc", "ci95"}, "lake20": {"error"}}


def finite_difference(f, x, eps=1e-6):
    out = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = eps
        out[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return out


def tiny_task(rng, n_way=3, k=2, q=2, shape=()):
    def part(count):
        return rng.normal(size=shape + (n_way * count, TINY[0])), np.tile(
            np.repeat(np.arange(n_way), count), shape + (1,))
    return Task(part(k), part(q))


def test_cross_entropy_is_the_log_softmax_and_its_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    assert models.cross_entropy(z, y) == pytest.approx(-np.mean(log_p[np.arange(4), y]), 1e-12)
    grad = autograd.grad(lambda v: models.cross_entropy(v, y))(z)
    fd = finite_difference(lambda v: models.cross_entropy(v.reshape(4, 3), y), z.ravel())
    np.testing.assert_allclose(grad.ravel(), fd, atol=1e-8)
    assert models.cross_entropy(z + 1e4, y) == pytest.approx(models.cross_entropy(z, y), 1e-9)
    stacked = models.cross_entropy(np.stack([z, 2 * z]), np.stack([y, y]))
    assert stacked[1] == pytest.approx(models.cross_entropy(2 * z, y), 1e-12)


@pytest.mark.parametrize("stacked", [False, True])
def test_network_loss_gradient_matches_finite_differences(stacked):
    rng = np.random.default_rng(1)
    net = models.network(3, TINY)
    theta = net.init(rng)
    data_ = tiny_task(rng, shape=(2,) if stacked else ()).train
    if stacked:
        theta = np.stack([theta, net.init(rng)])
    grad = autograd.elementwise_grad(net.loss)(theta, data_)
    for t in range(2 if stacked else 1):
        row = theta[t] if stacked else theta
        part = tuple(a[t] for a in data_) if stacked else data_
        fd = finite_difference(lambda v, p=part: net.loss(v, p), row)
        np.testing.assert_allclose(grad[t] if stacked else grad, fd, atol=1e-7)


def test_replicated_head_gives_equal_logits_and_fold_is_its_transpose():
    rng = np.random.default_rng(2)
    theta = models.network(1, TINY).init(rng)
    phi = models.replicate(theta, 5, TINY)
    logits = models.network(5, TINY).apply(phi, rng.normal(size=(3, TINY[0])))
    np.testing.assert_allclose(logits, logits[:, :1] * np.ones(5), rtol=1e-12)
    g, v = rng.normal(size=phi.shape), rng.normal(size=theta.shape)
    assert models.replicate(v, 5, TINY) @ g == pytest.approx(v @ models.fold(g, 5, TINY), 1e-12)


def test_maml_meta_gradient_on_the_replicated_net_matches_finite_differences():
    rng = np.random.default_rng(3)
    theta, net = models.network(1, TINY).init(rng), models.network(3, TINY)
    tasks = [tiny_task(rng) for _ in range(2)]

    def meta_loss(t):
        phi = models.replicate(t, 3, TINY)
        return np.mean([net.loss(inner_loop(net.loss, phi, task.train, 0.4, 2), task.test)
                        for task in tasks])

    value, grad = meta_value_and_gradient("maml", net.loss, models.replicate(theta, 3, TINY),
                                          tasks, lr=0.4, steps=2)
    assert value == pytest.approx(meta_loss(theta), rel=1e-10)
    np.testing.assert_allclose(models.fold(grad, 3, TINY), finite_difference(meta_loss, theta),
                               atol=1e-7)


def test_prototype_logits_by_hand():
    support = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0]])
    labels = np.array([0, 0, 1])  # class means (1, 0) and (0, 4)
    query = np.array([[1.0, 1.0]])
    expected = -np.array([[(0 ** 2 + 1 ** 2), (1 ** 2 + 3 ** 2)]])
    np.testing.assert_allclose(models.prototype_logits(support, labels, query), expected)


def test_protonet_loss_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    theta = models.MLP(TINY).init(rng)
    task = stack([tiny_task(rng) for _ in range(2)])

    def loss(t):
        return np.mean(models.protonet_loss(t, task, TINY))

    np.testing.assert_allclose(autograd.grad(loss)(theta), finite_difference(loss, theta),
                               atol=1e-7)


def test_pretrained_head_refit_is_plain_gradient_descent_on_the_support_features():
    rng = np.random.default_rng(5)
    theta = methods.initial("protonet", 0, rng)
    xs, ys = rng.random((4, 784)), np.array([1, 0, 2, 1])
    features = models.embed(theta, xs)
    f = features / np.sqrt(np.mean(np.sum(features ** 2, axis=1)))
    W, b, codes = np.zeros((64, 3)), np.zeros(3), np.eye(3)[ys]
    for _ in range(100):  # softmax regression's gradient written out: fᵀ(p − y)/K
        z = f @ W + b
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        W, b = W - f.T @ (p - codes) / 4, b - (p - codes).sum(0) / 4
    xq = rng.random((6, 784))
    fq = models.embed(theta, xq) / np.sqrt(np.mean(np.sum(features ** 2, axis=1)))
    np.testing.assert_array_equal(predict("pretrained", theta, (xs, ys), xq),
                                  np.argmax(fq @ W + b, axis=1))
    np.testing.assert_array_equal(predict("pretrained", theta, (xs, ys), xs), ys)


def test_protonet_prediction_is_the_nearest_class_mean():
    rng = np.random.default_rng(6)
    theta = methods.initial("protonet", 0, rng)
    xs, ys, xq = rng.random((6, 784)), np.array([0, 1, 2, 0, 1, 2]), rng.random((5, 784))
    fs, fq = models.embed(theta, xs), models.embed(theta, xq)
    means = np.array([fs[ys == n].mean(0) for n in range(3)])
    nearest = np.argmin(((fq[:, None] - means[None]) ** 2).sum(-1), axis=1)
    np.testing.assert_array_equal(predict("protonet", theta, (xs, ys), xq), nearest)


@pytest.mark.parametrize("method", ["maml", "fomaml", "reptile"])
def test_one_theta_plays_5_and_20_way_and_a_stack_equals_one_task_at_a_time(method):
    rng = np.random.default_rng(7)
    theta = methods.initial(method, 0, rng)
    tasks = [data.sample_task(rng.random((30, 2, 28, 28)), n, 1, 1, rng)
             for n in (5, 20)]
    for task in tasks:
        (xs, ys), (xq, _) = task
        guess = predict(method, theta, (xs, ys), xq)
        assert guess.shape == (len(xq),) and guess.max() < ys.max() + 1
    (xs, ys), (xq, _) = stack([tasks[1], tasks[1]])
    both = predict(method, theta, (xs, ys), xq)
    np.testing.assert_array_equal(both[0], predict(method, theta, tasks[1].train, tasks[1].test[0]))


def test_bad_input_names_the_argument():
    rng = np.random.default_rng(8)
    theta = methods.initial("maml", 0, rng)
    xs, ys, xq = rng.random((2, 784)), np.array([0, 1]), rng.random((3, 784))
    cases = [
        (lambda: models.cross_entropy(np.zeros((2, 3)), np.array([0, 3])), "labels"),
        (lambda: models.cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])), "labels"),
        (lambda: predict("mamll", theta, (xs, ys), xq), "method"),
        (lambda: predict("maml", theta[:-1], (xs, ys), xq), "theta"),
        (lambda: predict("maml", theta, (xs[:, :5], ys), xq), "support"),
        (lambda: predict("maml", theta, (xs, ys), xq[:, :5]), "query"),
        (lambda: predict("maml", theta, (xs, np.array([0, 2])), xq), "ys"),
        (lambda: predict("maml", theta, (xs, ys), xq, steps=-1), "steps"),
        (lambda: predict("maml", theta, (xs, ys), xq, lr=float("nan")), "lr"),
        (lambda: predict("maml", theta, xs, xq), "support"),
        (lambda: models.replicate(theta[:-2], 5), "theta"),
        (lambda: load("nope"), "method"),
    ]
    for call, name in cases:
        with pytest.raises(ValueError, match=name):
            call()


def check_schema(results):
    assert set(results) == set(methods.METHODS)
    for method, entry in results.items():
        assert {k: set(v) for k, v in entry.items()} == KEYS, method
        for key, numbers in entry.items():
            assert all(np.isfinite(v) and v >= 0 for v in numbers.values()), (method, key)


def test_quick_benchmark_runs_end_to_end_into_its_own_folder(tmp_path):
    shipped = {p: p.read_bytes() for p in sorted((ROOT / "mamlkit" / "weights").glob("*.npz"))}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "omniglot.py"), "--quick",
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    check_schema(json.loads((tmp_path / "omniglot.json").read_text()))
    assert "| maml |" in (tmp_path / "omniglot.md").read_text()
    for method in methods.METHODS:
        theta, info = load(method, tmp_path)
        assert info["method"] == method and np.all(np.isfinite(theta))
    assert {p: p.read_bytes() for p in shipped} == shipped  # the shipped weights untouched


def test_shipped_weights_load_within_3_mb_and_the_committed_results_are_complete():
    files = sorted((ROOT / "mamlkit" / "weights").glob("omniglot_*.npz"))
    assert {f.stem for f in files} == {f"omniglot_{m}" for m in methods.METHODS}
    assert sum(f.stat().st_size for f in files) <= 3_000_000
    for method in methods.METHODS:
        theta, info = load(method)
        size = methods.BODY_SIZE + (0 if method in methods.HEADLESS else 65)
        assert theta.shape == (size,) and theta.dtype == np.float64 and np.all(np.isfinite(theta))
        assert info["method"] == method and info["settings"] == methods.SETTINGS[method]
    check_schema(json.loads((ROOT / "benchmarks" / "results" / "omniglot.json").read_text()))
