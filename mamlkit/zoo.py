"""Trained sinusoid models shipped with the package (made by benchmarks/ scripts; see each file's ``info``).

``load(name)`` returns (model, θ, info) for name ∈ {"pretrained", "maml", …}: the 1-40-40-1 MLP (ReLU; tanh for
iMAML, as stored in the file), its trained flat parameter vector and a dict saying how it was trained.
"""
import json
import pathlib

import numpy as onp

from .checks import check_theta
from .models import MLP
from .results import dumps

WEIGHTS = pathlib.Path(__file__).parent / "weights"


def available(directory=None):
    """Names of the shipped models (or of the models saved in ``directory``)."""
    return sorted(p.stem for p in pathlib.Path(WEIGHTS if directory is None else directory).glob("*.npz"))


def save(name, model, theta, info, directory=None):
    """Store θ, the layer sizes, the activation and ``info`` (a JSON-able dict; inf and nan are stored as null, see
    ``results.dumps``) as <directory>/<name>.npz (default: the package's weights/, which ``load`` reads)."""
    # WEIGHTS is looked up at call time (not bound as a default) so that save and load agree on the folder
    theta = model.check_size(check_theta(theta))  # a bad θ fails here, not when the file is loaded and applied
    directory = pathlib.Path(WEIGHTS if directory is None else directory)
    directory.mkdir(parents=True, exist_ok=True)
    onp.savez_compressed(directory / f"{name}.npz", theta=theta,
                         sizes=onp.array(model.sizes), activation=model.activation, info=dumps(info))


def load(name, directory=None):
    """(model, θ, info) of a shipped model (or of <directory>/<name>.npz written by ``save``); an unknown name lists
    the available ones."""
    path = pathlib.Path(WEIGHTS if directory is None else directory) / f"{name}.npz"
    if not path.parent.is_dir():
        raise ValueError(f"directory must be a folder of saved models, got {str(path.parent)!r}, which is not a folder")
    if not path.exists():
        raise ValueError(f"name must be one of {available(directory)}, got {name!r}")
    with onp.load(path) as f:
        model = MLP(tuple(int(s) for s in f["sizes"]), str(f["activation"]))
        return model, f["theta"].copy(), json.loads(str(f["info"]))


def other_draws(info):
    """{steps: per-draw 5-shot mean MSE} from a weight file's ``info["other_draws"]`` (written by
    benchmarks/reproduce_sinusoid.py for the models the MAML paper reports), steps as ints; a draw stored as None
    (some task's fine-tuning overflowed) becomes inf, so that it sorts and compares as the worst draw."""
    if "other_draws" not in info:
        raise ValueError(f"the {info.get('method', 'given')} model has no other draws: only the models the MAML paper "
                         "reports (pretrained, maml) are scored on them")
    return {int(steps): onp.array([onp.inf if v is None else v for v in values], dtype=float)
            for steps, values in info["other_draws"]["mse"].items()}
