"""One figure style for the whole course: a colour and a label per method, opaque white
backgrounds (so that figures read in dark mode too)."""
import matplotlib.pyplot as plt

# Okabe–Ito colours (safe for colour-blind readers), and a line style and a marker per method so
# that no method is told apart by colour alone; "task" is the data and the true function.
COLORS = {"pretrained": "#555555", "maml": "#0072B2", "fomaml": "#E69F00", "reptile": "#009E73",
          "imaml": "#CC79A7", "task": "#D55E00"}
STYLES = {"pretrained": ":", "maml": "-", "fomaml": "--", "reptile": "-.",
          "imaml": (0, (5, 1, 1, 1))}
MARKERS = {"pretrained": "s", "maml": "o", "fomaml": "^", "reptile": "D", "imaml": "v"}
LABELS = {"pretrained": "pretrained", "maml": "MAML", "fomaml": "FOMAML", "reptile": "Reptile",
          "imaml": "iMAML"}
STYLE = {"figure.facecolor": "white", "axes.facecolor": "white", "savefig.facecolor": "white",
         "figure.dpi": 80, "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
         "axes.spines.right": False, "legend.frameon": False, "font.size": 10}


def use_style():
    """Apply the course style to matplotlib (called once at the top of every notebook)."""
    plt.rcParams.update(STYLE)


def figure(ncols=1, nrows=1, width=4.5, height=3.6, **kwargs):
    """A figure of nrows × ncols panels, width × height inches each, in the course style and not
    shown until asked (so that a widget can own it); returns (fig, the axes or an array of them)."""
    with plt.rc_context(STYLE), plt.ioff():
        fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                                 squeeze=False, **kwargs)
    return fig, (axes[0, 0] if axes.size == 1 else axes.ravel())
