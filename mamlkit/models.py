"""A multilayer perceptron on a flat parameter vector θ, in autograd.numpy.

θ packs, layer by layer, the weights W (m×n, row-major) then the bias b (n). Every function also
takes a stack of parameter vectors (T, d) with inputs (T, K, m): one network per task.
"""
import autograd.numpy as np

from .backprop import mse
from .checks import check_targets, is_pair

ACTIVATIONS = {"relu": lambda h: h * (h > 0), "tanh": np.tanh}  # ReLU's slope at 0 is 0


class MLP:
    """M(x; θ) = W_L σ(… σ(x W_1 + b_1) …) + b_L, σ = ReLU or tanh; ``loss``: mean squared error."""

    def __init__(self, sizes=(1, 40, 40, 1), activation="relu"):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if not (isinstance(sizes, (tuple, list)) and len(sizes) >= 2
                and all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes)):
            raise ValueError(f"sizes must be at least two whole numbers >= 1, got {sizes!r}")
        self.sizes, self.activation = tuple(sizes), activation
        self.shapes = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.size = sum(m * n + n for m, n in self.shapes)

    def init(self, rng):
        """A random θ: weights and biases of a layer with m inputs ~ U(−1/√m, 1/√m) (PyTorch's)."""
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.default_rng Generator, got {rng!r}")
        return np.concatenate([rng.uniform(-1, 1, m * n + n) / np.sqrt(m) for m, n in self.shapes])

    def layers(self, theta):
        """The (W, b) of each layer; for θ of shape (..., d), W is (..., m, n) and b (..., n)."""
        ends = np.cumsum([size for m, n in self.shapes for size in (m * n, n)])[:-1]
        parts = np.split(theta, ends, axis=-1)  # one split: its gradient is one concatenation
        for (m, n), W, b in zip(self.shapes, parts[::2], parts[1::2]):
            yield np.reshape(W, np.shape(theta)[:-1] + (m, n)), b

    def check_shapes(self, theta, x):
        """θ (d,) with x (K, m), or θ (T, d) with x (T, K, m); returns the output shape."""
        if np.ndim(theta) == 0 or np.shape(theta)[-1] != self.size:
            raise ValueError(f"theta must have {self.size} entries for sizes {self.sizes}, got "
                             f"shape {np.shape(theta)}")
        expected = ("T",) * (np.ndim(theta) - 1) + ("K", self.sizes[0])
        if np.ndim(x) != np.ndim(theta) + 1 or np.shape(x)[-1] != self.sizes[0]:
            raise ValueError(f"x must have shape {expected} for theta of shape {np.shape(theta)}, "
                             f"got {np.shape(x)}")
        return np.shape(x)[:-1] + (self.sizes[-1],)

    def apply(self, theta, x):
        """M(x; θ), shape (..., K, n_out)."""
        self.check_shapes(theta, x)
        h = x
        for i, (W, b) in enumerate(self.layers(theta)):
            h = np.matmul(h, W) + np.expand_dims(b, -2)
            if i < len(self.shapes) - 1:
                h = ACTIVATIONS[self.activation](h)
        return h

    def loss(self, theta, data):
        """L(θ; x, y) = the mean of (M(x; θ) − y)² over points and outputs; per task for a stack.

        Its gradient is the backward pass written out (``backprop.mse``), equal to autograd's.
        """
        if not is_pair(data):
            raise ValueError(f"data must be an (x, y) pair of arrays, got {type(data).__name__}")
        x, y = data
        check_targets(self.check_shapes(theta, x), y)
        return mse(self, theta, x, y)

    loss.vectorised = True  # a stack of θ's gives the per-task losses (meta_value_and_gradient)
