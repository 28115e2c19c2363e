"""One figure style for the whole course: fixed colours per method, white backgrounds, fixed axes."""
import matplotlib.pyplot as plt
import numpy as onp

COLORS = {
    "pretrained": "#7f7f7f",  # grey
    "pretrain": "#7f7f7f",
    "maml": "#d62728",  # red
    "fomaml": "#ff7f0e",  # orange
    "reptile": "#2ca02c",  # green
    "imaml": "#9467bd",  # purple
    "task": "#1f77b4",  # blue: the true function / data
}
LABELS = {"pretrained": "pretrained", "pretrain": "pretrained", "maml": "MAML", "fomaml": "FOMAML",
          "reptile": "Reptile", "imaml": "iMAML"}

STYLE = {
    "figure.facecolor": "white",  # opaque, so figures read in dark mode too
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "figure.dpi": 80,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10,
}


def use_style():
    """Apply the course style to matplotlib (called once at the top of every notebook)."""
    plt.rcParams.update(STYLE)


def figure(ncols=1, nrows=1, width=4.5, height=3.6, **kwargs):
    """A new figure of ``nrows × ncols`` panels of width × height inches each, in the course style,
    not shown until asked (so a widget can own it)."""
    with plt.rc_context(STYLE), plt.ioff():
        fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kwargs)
    return fig, (axes[0, 0] if axes.size == 1 else axes.ravel())


def loss_grid(loss, data, extent=(0.0, 1.0, 0.0, 1.0), n=60):
    """Evaluate a 2-parameter loss on an n×n grid over extent = (x0, x1, y0, y1).

    Returns (X, Y, Z) with X, Y from ``meshgrid(xs, ys)`` in 'xy' indexing, so Z[i, j] = L((xs[j], ys[i]));
    pass them to ``contour(X, Y, Z)`` as they are (mixing in 'ij' indexing transposes the picture).
    """
    xs = onp.linspace(extent[0], extent[1], n)
    ys = onp.linspace(extent[2], extent[3], n)
    X, Y = onp.meshgrid(xs, ys)
    Z = onp.array([[loss(onp.array([x, y]), data) for x in xs] for y in ys])
    return X, Y, Z
