"""Few-shot classifiers on a flat θ: softmax cross-entropy, the MAML paper's fully connected
network, the one-unit head that plays any N, and ProtoNets' classifier.

* ``network(n_way)``: 784-256-128-64-64 with ReLU and a linear N-way head, the MAML paper's network
  without its batch norm (a θ-only loss keeps no running statistics, and batch statistics of a
  1-shot support set would make a prediction depend on the other queries).
* ``replicate(θ, N)``: a one-output θ made N-way by copying its output unit N times (the head of
  UNICORN-MAML, Ye & Chao 2022): every class starts equal, so one θ plays 5-way and 20-way and no
  class order is learnt; ``fold`` is its transpose, ∇θ = Σ over the copies of ∇φ⁰.
* ``embed``: the body's 64 features, ReLU(body(x)); ``prototype_logits``: −‖f(x) − c_n‖², c_n the
  mean feature of class n in the support set (Snell et al. 2017).
"""
import functools

import autograd.numpy as np
import numpy  # labels and one-hot codes: data, never traced

from ..checks import is_pair
from ..models import ACTIVATIONS, MLP

BODY = (784, 256, 128, 64, 64)


def labels_for(scores, labels, name="labels"):
    """Integer labels of ``scores``' leading shape (…, K), each in 0..N−1, N = scores' last axis."""
    n, labels = np.shape(scores)[-1], numpy.asarray(labels)
    if (labels.shape != np.shape(scores)[:-1] or labels.dtype.kind not in "iu"
            or labels.size and not 0 <= labels.min() <= labels.max() < n):
        raise ValueError(f"{name} must be whole numbers in 0..{n - 1} of shape "
                         f"{np.shape(scores)[:-1]}, got {labels.dtype} of shape {labels.shape}")
    return labels


def one_hot(labels, n_way):
    return (numpy.asarray(labels)[..., None] == numpy.arange(n_way)).astype(float)


def cross_entropy(logits, labels):
    """mean_k [log Σ_n exp z_kn − z_k,y_k] over the K points (…, K, N), one value per leading index;
    the log-sum-exp as m + log Σ_n exp(z_kn − m), m = max_n z_kn, so no exp overflows."""
    labels = labels_for(logits, labels)
    top = np.max(logits, axis=-1, keepdims=True)
    log_total = top[..., 0] + np.log(np.sum(np.exp(logits - top), axis=-1))
    picked = np.sum(logits * one_hot(labels, np.shape(logits)[-1]), axis=-1)
    return np.mean(log_total - picked, axis=-1)


class Classifier(MLP):
    """Logits M(x; θ) of a ReLU MLP; ``loss``: their mean cross-entropy against integer labels."""

    def __init__(self, sizes=BODY + (5,)):
        super().__init__(sizes, "relu")

    def loss(self, theta, data):
        """L(θ; x, y) = mean_k CE(M(x_k; θ), y_k); one value per task for a stack θ (T, d)."""
        if not is_pair(data):
            raise ValueError(f"data must be an (x, y) pair of arrays, got {type(data).__name__}")
        x, y = data
        return cross_entropy(self.apply(theta, x), y)

    loss.vectorised = True  # a stack of θ's gives the per-task losses (meta_value_and_gradient)

    def predict(self, theta, x):
        """argmax_n M(x; θ)_n, the predicted label of each point."""
        return numpy.argmax(self.apply(theta, x), axis=-1)


@functools.lru_cache(maxsize=64)
def network(n_way, body=BODY):
    """The classifier body → n_way logits (``n_way`` = 1: the one-unit head of ``replicate``)."""
    return Classifier(tuple(body) + (n_way,))


def embed(theta, x, body=BODY):
    """f(x) = ReLU(body(x; θ)), the features under the head, for one θ (a body's or a whole
    classifier's) and points x of any leading shape (…, 784): (…, 64)."""
    trunk = MLP(tuple(body))
    flat = np.reshape(x, (-1, np.shape(x)[-1]))
    features = ACTIVATIONS["relu"](trunk.apply(theta[:trunk.size], flat))
    return np.reshape(features, np.shape(x)[:-1] + (body[-1],))


def _head(theta, n_way, body):
    width, size = body[-1], MLP(tuple(body)).size
    if np.shape(theta)[-1] != size + (width + 1) * n_way:
        raise ValueError(f"theta must have {size + (width + 1) * n_way} entries (body {body}, "
                         f"{n_way} outputs), got shape {np.shape(theta)}")
    return size, width


def replicate(theta, n_way, body=BODY):
    """φ⁰ = E θ: the one-output θ with its output unit (w, b) copied into all n_way columns."""
    size, width = _head(theta, 1, body)
    w, b = theta[..., size:size + width], theta[..., size + width:]
    return np.concatenate([theta[..., :size], np.repeat(w, n_way, axis=-1),
                           np.repeat(b, n_way, axis=-1)], axis=-1)


def fold(grad, n_way, body=BODY):
    """Eᵀ g: a gradient with respect to φ⁰ = replicate(θ) as one with respect to θ."""
    size, width = _head(grad, n_way, body)
    W = np.reshape(grad[..., size:size + width * n_way], np.shape(grad)[:-1] + (width, n_way))
    return np.concatenate([grad[..., :size], np.sum(W, axis=-1),
                           np.sum(grad[..., size + width * n_way:], axis=-1, keepdims=True)], -1)


def prototype_logits(support, labels, query):
    """−‖f_q − c_n‖² for query features f_q (…, Q, D) and class means c_n of the support features
    (…, K, D) with labels 0..N−1 (every class present): (…, Q, N)."""
    codes = one_hot(labels, numpy.max(labels) + 1)
    counts = numpy.sum(codes, axis=-2)
    if numpy.any(counts == 0):
        raise ValueError("labels must hold every class 0..N-1 at least once")
    centres = np.matmul(numpy.swapaxes(codes, -1, -2), support) / counts[..., None]
    cross = np.matmul(query, np.swapaxes(centres, -1, -2))
    return 2 * cross - np.sum(query ** 2, -1)[..., None] - np.sum(centres ** 2, -1)[..., None, :]


def protonet_loss(theta, task, body=BODY):
    """CE(−‖f(x_q) − c_y‖², y_q) on the query set, with f = ``embed`` and c from the support set;
    one value per task for stacked tasks (T, K, …) and one θ."""
    (xs, ys), (xq, yq) = task
    return cross_entropy(prototype_logits(embed(theta, xs, body), ys, embed(theta, xq, body)), yq)
