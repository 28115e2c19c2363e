"""The fast path: an MLP's mean squared error with its backward pass written out, given to autograd.

``mse`` is an autograd primitive whose gradient is ``mse_grad`` (``defvjp``), not a trace of the
forward pass. ``mse_grad`` is itself autograd.numpy, so MAML's second derivatives are reverse
mode through it; when nothing is traced it runs in plain numpy, so an inner step costs one
forward and one backward pass and no tape. tests/test_backprop.py checks it against autograd
differentiating ``MLP.apply``.

With r = M(x; θ) − y and δ = 2r/(K n) at the output, a layer with input a has ∂L/∂W = aᵀδ and
∂L/∂b = Σ_k δ_k, and passes δ ← (δ Wᵀ) ⊙ σ'(h) down to the layer below.
"""
import autograd.numpy as np
import numpy
from autograd.extend import defvjp, primitive
from autograd.tracer import isbox

# glibc returns freed blocks over 128 kB to the kernel until the process first frees a larger one,
# then keeps memory up to that size for reuse (its adaptive mmap threshold). A meta-gradient
# allocates and frees arrays of a few hundred kB thousands of times a second, and fresh pages from
# the kernel made it about 1.5× slower. Freeing one 4 MB block here sets the threshold as any larger
# computation would (``make lab`` and ``make test`` fix it with glibc's MALLOC_* variables).
numpy.ones(1 << 22, dtype=numpy.uint8)


def forward(model, theta, x):
    """M(x; θ), every layer's input and σ'(h) at every hidden layer (plain numpy if untraced)."""
    xp = np if isbox(theta) else numpy
    inputs, slopes, h = [], [], x
    layers = list(model.layers(theta))
    for i, (W, b) in enumerate(layers):
        inputs.append(h)
        h = xp.matmul(h, W) + xp.expand_dims(b, -2)
        if i < len(layers) - 1:
            if model.activation == "relu":
                slope = h > 0  # a constant mask: ReLU'' = 0 almost everywhere
                h = h * slope
            else:
                h = xp.tanh(h)
                slope = 1.0 - h * h
            slopes.append(slope)
    return h, inputs, slopes, layers


@primitive
def mse(model, theta, x, y):
    """L = the mean of (M(x; θ) − y)² over points and outputs, one per task for a stack θ (T, d)."""
    return numpy.mean((forward(model, theta, x)[0] - y) ** 2, axis=(-2, -1))


def mse_grad(model, theta, x, y):
    """∇_θ L, of θ's shape: the backward pass of ``forward``."""
    xp = np if isbox(theta) else numpy
    out, inputs, slopes, layers = forward(model, theta, x)
    delta = (out - y) * (2.0 / (y.shape[-2] * y.shape[-1]))
    grads = []
    for i in range(len(layers) - 1, -1, -1):
        weights = xp.matmul(xp.swapaxes(inputs[i], -1, -2), delta)
        grads = [xp.reshape(weights, theta.shape[:-1] + (-1,)), xp.sum(delta, axis=-2)] + grads
        if i > 0:
            delta = xp.matmul(delta, xp.swapaxes(layers[i][0], -1, -2)) * slopes[i - 1]
    return xp.concatenate(grads, axis=-1)


defvjp(mse, lambda ans, model, theta, x, y: lambda g: np.expand_dims(g, -1)
       * mse_grad(model, theta, x, y), argnums=[1])
