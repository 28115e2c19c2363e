"""A multilayer perceptron on a flat parameter vector θ, in plain autograd.numpy.

θ packs, layer by layer, the weight matrix W (m×n, row-major) then the bias b (n). ``apply`` also takes a
batch of parameter vectors θ of shape (T, d) with inputs of shape (T, K, m): one network per task.
"""
import numbers

import autograd.numpy as np
import numpy as onp

from .checks import check_rng, check_targets, is_pair

# ReLU as h times the constant mask h > 0: slope 0 at h = 0, as in batched.py (np.maximum's gradient there is ½)
ACTIVATIONS = {"relu": lambda h: h * (h > 0), "tanh": np.tanh}
INIT_SCHEMES = ("uniform", "reference")  # see MLP.init
REFERENCE_STD = 0.01  # the MAML code's weight scale


class MLP:
    """M(x; θ) = W_L σ(… σ(x W_1 + b_1) …) + b_L with σ = ReLU or tanh; ``loss`` is the mean squared error."""

    def __init__(self, sizes=(1, 40, 40, 1), activation="relu"):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        def whole(s):
            return isinstance(s, numbers.Real) and not isinstance(s, bool) and onp.isfinite(s) and s >= 1 and int(s) == s

        if not isinstance(sizes, (tuple, list)) or len(sizes) < 2 or not all(whole(s) for s in sizes):
            raise ValueError(f"sizes must be at least two positive whole numbers, got {sizes!r}")
        self.sizes, self.activation = tuple(int(s) for s in sizes), activation
        self.shapes = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.size = sum(m * n + n for m, n in self.shapes)

    def init(self, rng, scheme="uniform"):
        """A random θ, as one flat vector. ``scheme``:

        * "uniform" (PyTorch's default): the weights and biases of a layer with m inputs ~ U(−1/√m, 1/√m);
        * "reference" (the MAML paper's code): every weight ~ N(0, 0.01²) truncated at two standard deviations
          (values beyond are redrawn, as TensorFlow's ``truncated_normal`` does), every bias 0.
        """
        if scheme not in INIT_SCHEMES:
            raise ValueError(f"scheme must be one of {INIT_SCHEMES}, got {scheme!r}")
        check_rng(rng)
        parts = []
        for m, n in self.shapes:
            if scheme == "uniform":
                parts.append(rng.uniform(-1.0, 1.0, size=m * n + n) / onp.sqrt(m))
            else:
                weights = rng.normal(0.0, REFERENCE_STD, size=m * n)
                while (far := onp.abs(weights) > 2 * REFERENCE_STD).any():
                    weights[far] = rng.normal(0.0, REFERENCE_STD, size=far.sum())
                parts += [weights, onp.zeros(n)]
        return onp.concatenate(parts)

    def layers(self, theta):
        """The (W, b) pairs of θ; with θ of shape (..., d), W has shape (..., m, n) and b (..., n)."""
        start, batch = 0, theta.shape[:-1]
        for m, n in self.shapes:
            W = np.reshape(theta[..., start:start + m * n], batch + (m, n))
            b = theta[..., start + m * n:start + m * n + n]
            start += m * n + n
            yield W, b

    def check_size(self, theta):
        """θ's last axis must hold the network's d parameters."""
        if onp.ndim(theta) == 0 or onp.shape(theta)[-1] != self.size:
            raise ValueError(f"theta must have {self.size} entries for sizes {self.sizes}, got shape {onp.shape(theta)}")
        return theta

    def apply(self, theta, x):
        """M(x; θ) for x of shape (K, m) (or (T, K, m) with θ of shape (T, d)); returns shape (…, K, n_out)."""
        self.check_size(theta)
        if onp.ndim(x) != onp.ndim(theta) + 1 or onp.shape(x)[-1] != self.sizes[0]:
            raise ValueError(f"x must have shape {('T',) * (onp.ndim(theta) - 1) + ('K', self.sizes[0])} for theta "
                             f"of shape {onp.shape(theta)}, got shape {onp.shape(x)}")
        act = ACTIVATIONS[self.activation]
        h = x
        for i, (W, b) in enumerate(self.layers(theta)):
            h = np.matmul(h, W) + np.expand_dims(b, -2)
            if i < len(self.shapes) - 1:
                h = act(h)
        return h

    def loss(self, theta, data):
        """L(θ; x, y) = (1/N) Σ_j (M(x_j; θ) − y_j)², the mean over all N entries of y."""
        if not is_pair(data):
            raise ValueError(f"data must be an (x, y) pair of arrays, got {type(data).__name__}")
        x, y = data
        prediction = self.apply(theta, x)
        check_targets(prediction, y)
        return np.mean((prediction - y) ** 2)
