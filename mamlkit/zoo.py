"""Trained sinusoid models shipped with the package (made by benchmarks/ scripts, see their info).

``load(name)`` returns (model, θ, info) for name ∈ {"pretrained", "maml", …}: the 1-40-40-1 MLP
(ReLU; tanh for iMAML, as stored in the file), its trained flat parameter vector and a dict saying
how it was trained. ``results(name)`` reads the benchmark results committed in the repository.
"""
import json
import pathlib

import numpy as np

from .checks import finite_vector
from .models import MLP

WEIGHTS = pathlib.Path(__file__).parent / "weights"
RESULTS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def available(directory=None):
    """Names of the shipped models (or of the models saved in ``directory``)."""
    folder = pathlib.Path(WEIGHTS if directory is None else directory)
    return sorted(p.stem for p in folder.glob("*.npz"))


def save(name, model, theta, info, directory=None):
    """Store θ, the layer sizes, the activation and ``info`` (a JSON-able dict; numpy numbers as
    plain ones, inf and nan as null) as <directory>/<name>.npz (default: the package's weights/,
    which ``load`` reads)."""
    theta = finite_vector(theta)
    model.apply(theta, np.zeros((1, model.sizes[0])))  # a θ of the wrong length fails here
    directory = pathlib.Path(WEIGHTS if directory is None else directory)
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(info, default=lambda value: value.tolist())  # numpy numbers and arrays
    strict = json.dumps(json.loads(text, parse_constant=lambda _constant: None))  # inf, nan: null
    np.savez_compressed(directory / f"{name}.npz", theta=theta, sizes=np.array(model.sizes),
                         activation=model.activation, info=strict)


def load(name, directory=None):
    """(model, θ, info) of a shipped model (or of <directory>/<name>.npz written by ``save``); an
    unknown name lists the available ones."""
    path = pathlib.Path(WEIGHTS if directory is None else directory) / f"{name}.npz"
    if not path.exists():
        raise ValueError(f"name must be one of {available(directory)}, got {name!r}")
    with np.load(path) as f:
        model = MLP(tuple(int(s) for s in f["sizes"]), str(f["activation"]))
        return model, f["theta"].copy(), json.loads(str(f["info"]))


def results(name):
    """The committed benchmark results ``benchmarks/results/<name>.json`` of the repository checkout
    the package runs from, parsed: "sinusoid" ({method: {K: {steps: {"mse", "ci95"}}}}),
    "meta_gradient" ({"default" or "tuned": {inner steps: {method: {column: number}}}}), "memory"
    ({column: [numbers]}) or "published" (the papers' numbers, each with its "source"). Whole-number
    keys (K, steps) come back as ints, and a null entry (a diverged mean) as inf."""
    path = RESULTS / f"{name}.json"
    if not path.is_file():
        have = sorted(p.stem for p in RESULTS.glob("*.json"))
        raise FileNotFoundError(f"no results file {path}: name must be one of {have} (the JSON "
                                "files in benchmarks/results/ of the checkout mamlkit runs from)")
    return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_results_object)


def _results_object(pairs):
    # one JSON object of a results file: the key "5" becomes 5, a null value inf
    return {int(key) if key.isdigit() else key: np.inf if value is None else value
            for key, value in pairs}
