"""Omniglot (Lake, Salakhutdinov & Tenenbaum 2015, MIT licence), read from the official zip files.

* ``FILES``: the three official files, {name: (URL, sha256)}; ``path(name)`` finds one: the shared
  copy ``<repo>/../shared/data/omniglot`` when it matches, else ``folder()`` (``$MAMLKIT_DATA`` or
  ``~/.cache/mamlkit/omniglot``), downloading a missing file there (``$MAMLKIT_OMNIGLOT_URL``
  replaces the base URL) into a temporary file that is renamed only once its sha256 matches.
* ``background()``: the two "background small" sets, Greek and Latin (in both) counted once: 242
  characters × 20 drawers. ``evaluation()`` and ``lake_runs()``: the official 20-way one-shot runs.
* ``split``, ``rotations``, ``sample_task``: characters for meta-training and validation, the 90°
  rotations as new classes (the usual augmentation), N-way K-shot tasks.

Images: the 105×105 binary drawings, ink 1 and paper 0, shrunk to ``size``×``size`` (28 by
default, the size of the MAML and ProtoNet papers: 784 inputs for the fully connected network) by
PIL's box filter: a pixel is the mean of the drawn pixels whose centres fall in its patch (3 or 4
a side at 28), the share of it inked, in [0, 1] (Lanczos would ring outside [0, 1]). The arrays are
decoded from the zips in memory, never written to disk, memoised and read-only (``background()``
and ``evaluation()`` take about half a second the first time).
"""
import functools
import hashlib
import http.client
import io
import numbers
import os
import pathlib
import tempfile
import urllib.request
import warnings
import zipfile

import numpy  # plain numpy: the data is never traced
from PIL import Image
from tqdm.auto import tqdm

from ..checks import whole_number
from ..tasks import Task

_OFFICIAL = "https://github.com/brendenlake/omniglot/raw/master/python/"
FILES = {
    "images_background_small1.zip": (
        _OFFICIAL + "images_background_small1.zip",
        "f38eb80f801274ac2b4dff5b24289016bfaba4a7d5bb50deebf27104ad6cb8a4"),
    "images_background_small2.zip": (
        _OFFICIAL + "images_background_small2.zip",
        "3ccaa407515a8778e5d0861875af38b17e418f301ad5bb3b5a6b65d901a41c7f"),
    "all_runs.zip": (_OFFICIAL + "one-shot-classification/all_runs.zip",
                     "437c1eeab0af8484112e1b4cc0f3d541ec727f7c47b9b202da738af9dfd6c325"),
}
BACKGROUND = ("images_background_small1.zip", "images_background_small2.zip")
SHARED = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data" / "omniglot"


class ChecksumError(ValueError):
    """A file whose sha256 is not the official one: refused."""


def folder():
    """The download folder: ``$MAMLKIT_DATA`` or ``~/.cache/mamlkit/omniglot``."""
    return pathlib.Path(os.environ.get("MAMLKIT_DATA") or "~/.cache/mamlkit/omniglot").expanduser()


@functools.lru_cache(maxsize=32)
def _digest(file, _size, _mtime):
    return hashlib.sha256(pathlib.Path(file).read_bytes()).hexdigest()


def sha256(file):
    """The file's sha256 (remembered while its size and modification time stay the same)."""
    stat = os.stat(file)
    return _digest(str(file), stat.st_size, stat.st_mtime_ns)


def path(name):
    """The verified file ``name`` of ``FILES``: the shared copy, the folder's, or a download."""
    if name not in FILES:
        raise ValueError(f"name must be one of {sorted(FILES)}, got {name!r}")
    url, expected = FILES[name]
    shared, local = SHARED / name, folder() / name
    if shared.is_file():
        if sha256(shared) == expected:
            return shared
        warnings.warn(f"ignoring {shared}: its sha256 is not {expected}", stacklevel=2)
    if not local.is_file():
        base = os.environ.get("MAMLKIT_OMNIGLOT_URL")
        url = f"{base.rstrip('/')}/{name}" if base else url
        try:
            _download(url, local, expected)
        except (OSError, http.client.HTTPException) as err:
            missing = [n for n in FILES if not any((d / n).is_file() for d in (SHARED, folder()))]
            raise FileNotFoundError(
                f"Omniglot file {name} is missing and could not be downloaded from {url} ({err}). "
                f"Put the official files {', '.join(missing)} into {folder()} (or into the folder "
                "that $MAMLKIT_DATA names); they come from "
                + ", ".join(FILES[n][0] for n in missing)) from err
    actual = sha256(local)
    if actual != expected:
        aside = local.with_name(local.name + ".corrupt")
        os.replace(local, aside)
        raise ChecksumError(f"{local} has sha256 {actual}, expected {expected}: refused and moved "
                            f"to {aside}; the next call downloads it again")
    return local


def _download(url, target, expected):
    """url → target, through a temporary file renamed once complete and matching ``expected``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, part = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        digest, done = hashlib.sha256(), 0
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=target.name, leave=False) as bar:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
                    done += len(chunk)
        if total is not None and done != total:
            raise OSError(f"download interrupted: got {done} of {total} bytes")
        if digest.hexdigest() != expected:
            raise ChecksumError(f"{url} gave sha256 {digest.hexdigest()}, expected {expected}: "
                                "refused and deleted")
        os.replace(part, target)
    finally:
        if os.path.exists(part):
            os.remove(part)


def _image(data, size):
    image = Image.open(io.BytesIO(data)).convert("F")  # ink 0, paper 255
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BOX)
    return 1.0 - numpy.asarray(image, dtype=numpy.float64) / 255.0


def _frozen(array):
    array.flags.writeable = False
    return array


def _size(size):
    size = whole_number(size, "size", 1)
    if size > 105:
        raise ValueError(f"size must be a whole number in 1..105 (the drawings' size), got {size}")
    return size


def background(size=28):
    """(images (C, 20, size, size) float64, names ("Alphabet/character", …)), C = 242."""
    return _background(tuple((str(path(n)), FILES[n][1]) for n in BACKGROUND), _size(size))


@functools.lru_cache(maxsize=4)
def _background(files, size):
    drawings = {}  # "Alphabet/character" -> {drawing's file name: PNG bytes}, the first zip's copy
    for file, _ in files:
        found = {}
        with zipfile.ZipFile(file) as archive:
            for entry in archive.namelist():
                parts = entry.split("/")  # set/Alphabet/character/drawing.png
                if len(parts) == 4 and parts[3].endswith(".png"):
                    found.setdefault("/".join(parts[1:3]), {})[parts[3]] = archive.read(entry)
        for name, files_ in found.items():
            drawings.setdefault(name, files_)
    names = tuple(sorted(drawings))
    counts = {len(drawings[n]) for n in names}
    if len(counts) != 1:
        raise ValueError(f"every character must have as many drawings, got counts {counts}")
    images = numpy.array([[_image(png, size) for _, png in sorted(drawings[n].items())]
                          for n in names])
    return _frozen(images), names


def _runs(size):
    return str(path("all_runs.zip")), FILES["all_runs.zip"][1], _size(size)


@functools.lru_cache(maxsize=4)
def _lake(file, _sha, size):
    """support (R, N, s, s), query (R, N, s, s), answers (R, N) of the official runs, and their
    (R·N/2, 4, s, s) characters: runs 2i+1 and 2i+2 show the same N characters of one alphabet in
    the same order, drawn by other people, so each character has four drawings (the training and
    test drawings of the first run, then of the second)."""
    support, query, answers = [], [], []
    with zipfile.ZipFile(file) as archive:
        runs = sorted({e.split("/")[0] for e in archive.namelist() if e.endswith("_labels.txt")})
        for run in runs:
            lines = archive.read(f"{run}/class_labels.txt").decode().splitlines()
            pairs = sorted(line.split() for line in lines if line.strip())  # (test, its class)
            classes = sorted(train for _, train in pairs)
            support.append([_image(archive.read(c), size) for c in classes])
            query.append([_image(archive.read(test), size) for test, _ in pairs])
            answers.append([classes.index(train) for _, train in pairs])
    support, query, answers = (numpy.array(a) for a in (support, query, answers))
    matched = numpy.take_along_axis(query, numpy.argsort(answers, 1)[:, :, None, None], axis=1)
    runs, n = answers.shape
    if runs % 2:
        raise ValueError(f"the official runs come in pairs over the same characters, got {runs}")
    drawings = numpy.stack([support, matched], axis=2).reshape(runs // 2, 2, n, 2, size, size)
    characters = drawings.transpose(0, 2, 1, 3, 4, 5).reshape(-1, 4, size, size)
    return tuple(_frozen(a) for a in (support, query, answers, characters))


def lake_runs(size=28):
    """The 20 official runs: [(support (20, s, s), query (20, s, s), answers (20,) int)], where
    answers[i] is the index of query i's character in support (Lake et al. 2015's benchmark)."""
    return list(zip(*_lake(*_runs(size))[:3]))


def evaluation(size=28):
    """(200, 4, size, size): the characters of the official runs (10 of the 20 evaluation
    alphabets, 20 characters each), four drawings each (two per run of a pair), memoised."""
    return _lake(*_runs(size))[3]


def split(n_characters, validation, seed=0):
    """(train, validation) sorted character indices, a seeded random partition of
    range(n_characters); ``validation`` a count or a fraction. All of a character's drawings go
    with it. Split before ``rotations``, so no rotation of a validation character is trained on."""
    n = whole_number(n_characters, "n_characters", 2)
    if isinstance(validation, float) and 0 < validation < 1:
        validation = int(round(validation * n))
    if isinstance(validation, bool) or not isinstance(validation, numbers.Integral) \
            or not 1 <= validation < n:
        raise ValueError(f"validation must be a whole number in 1..{n - 1} or a fraction in "
                         f"(0, 1) leaving characters on both sides, got {validation!r}")
    order = numpy.random.default_rng(seed).permutation(n)
    return numpy.sort(order[int(validation):]), numpy.sort(order[:int(validation)])


def rotations(images):
    """(4C, D, s, s): the C classes rotated by 0°, 90°, 180°, 270°, each rotation a new class
    (class k·C + c is class c turned by k·90°), as in the MAML and ProtoNet papers."""
    images = _images(images)
    return numpy.concatenate([numpy.rot90(images, k, axes=(2, 3)) for k in range(4)])


def _images(images):
    images = numpy.asarray(images, dtype=numpy.float64)
    if images.ndim != 4 or images.shape[2] != images.shape[3] or 0 in images.shape:
        raise ValueError(f"images must be an array (classes, drawings, s, s), got shape "
                         f"{images.shape}")
    return images


def sample_task(images, n_way, k_shot, queries, rng):
    """An N-way K-shot task: n_way random classes of ``images`` (C, D, s, s), labelled 0..n_way−1
    in a random order, and k_shot + queries drawings of each, drawn without replacement.

    Task((xs, ys), (xq, yq)): xs (n_way·k_shot, s·s) float64, ys int, grouped by label (as are xq
    (n_way·queries, s·s), yq). ``rng``: a numpy Generator, or a seed.
    """
    images = _images(images)
    n_classes, n_drawings, side = images.shape[:3]
    n_way = whole_number(n_way, "n_way", 1)
    if n_way > n_classes:
        raise ValueError(f"n_way must be a whole number in 1..{n_classes} (the classes), "
                         f"got {n_way}")
    k_shot, queries = whole_number(k_shot, "k_shot", 1), whole_number(queries, "queries", 1)
    if k_shot + queries > n_drawings:
        raise ValueError(f"k_shot + queries must be at most {n_drawings} (the drawings per class), "
                         f"got {k_shot} + {queries}")
    rng = numpy.random.default_rng(rng)
    classes = rng.choice(n_classes, n_way, replace=False)
    drawings = rng.random((n_way, n_drawings)).argsort(axis=1)[:, :k_shot + queries]
    picked = images[classes[:, None], drawings].reshape(n_way, k_shot + queries, side * side)
    labels = numpy.arange(n_way)
    return Task((picked[:, :k_shot].reshape(-1, side * side), numpy.repeat(labels, k_shot)),
                (picked[:, k_shot:].reshape(-1, side * side), numpy.repeat(labels, queries)))
