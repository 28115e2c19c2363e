"""The Omniglot loader (mamlkit/omniglot/data.py): finding, checking and downloading the official
files, reading them, and the splits and tasks built on them.

Most tests run on a tiny data set in the official layout that the fixture ``fake`` builds in
tmp_path (drawings 105×105 whose ink marks their alphabet, character and drawing in 15×15 cells,
so that at size 7 each cell is one pixel); the real shared copy is checked when it is there.
"""
import functools
import hashlib
import http.server
import io
import re
import socket
import threading
import zipfile

import numpy as np
import pytest
from PIL import Image

from mamlkit.omniglot import data

REAL_FILES, REAL_DIR = dict(data.FILES), data.SHARED
HAVE_REAL = all((REAL_DIR / n).is_file() and data.sha256(REAL_DIR / n) == sha
                for n, (_, sha) in REAL_FILES.items())
needs_real = pytest.mark.skipif(not HAVE_REAL, reason="no shared copy of Omniglot")


def drawing(*cells):
    """A 105×105 mode-1 PNG, white paper, ink in the 15×15 cells (row, column) given."""
    ink = np.ones((105, 105), dtype=bool)
    for row, column in cells:
        ink[15 * row:15 * row + 15, 15 * column:15 * column + 15] = False
    buffer = io.BytesIO()
    Image.fromarray(ink).convert("1").save(buffer, format="PNG")
    return buffer.getvalue()


def write_zip(file, entries):
    with zipfile.ZipFile(file, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return hashlib.sha256(file.read_bytes()).hexdigest()


ALPHABETS = {"images_background_small1": ["Alpha", "Greek"], "images_background_small2":
             ["Greek", "Beta"]}
ORDER = ["Alpha", "Beta", "Greek"]  # sorted: 2 + 1 + 2 characters, Greek in both sets
CHARACTERS = {"Alpha": 2, "Beta": 1, "Greek": 2}
LABELS = {1: [2, 0, 1], 2: [1, 2, 0]}  # run → the class of test item 1, 2, 3


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """The three files in the official layout, as the shared copy; the data folder in tmp_path."""
    shared = tmp_path / "shared"
    shared.mkdir()
    files = {}
    for zip_name, alphabets in ALPHABETS.items():
        entries = {f"{zip_name}/{a}/character{c + 1:02d}/{ORDER.index(a) + 1:04d}_{d + 1:02d}.png":
                   drawing((0, ORDER.index(a)), (1, c), (2, d))
                   for a in alphabets for c in range(CHARACTERS[a]) for d in range(4)}
        files[zip_name + ".zip"] = write_zip(shared / f"{zip_name}.zip", entries)
    runs = {}
    for run, labels in LABELS.items():
        lines = [f"run{run:02d}/test/item{i + 1:02d}.png run{run:02d}/training/class{c + 1:02d}.png"
                 for i, c in enumerate(labels)]
        runs[f"run{run:02d}/class_labels.txt"] = "\n".join(lines) + "\n"
        for c in range(3):
            runs[f"run{run:02d}/training/class{c + 1:02d}.png"] = drawing((0, run), (1, c))
            item = labels.index(c) + 1
            runs[f"run{run:02d}/test/item{item:02d}.png"] = drawing((0, run), (1, c), (2, 6))
    files["all_runs.zip"] = write_zip(shared / "all_runs.zip", runs)
    urls = {n: (f"http://127.0.0.1:9/{n}", sha) for n, sha in files.items()}  # nothing listens
    monkeypatch.setattr(data, "FILES", urls)
    monkeypatch.setattr(data, "SHARED", shared)
    monkeypatch.setenv("MAMLKIT_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("MAMLKIT_OMNIGLOT_URL", raising=False)
    return shared


@pytest.fixture(autouse=True)
def no_home_cache(tmp_path, monkeypatch):
    """No test writes into ~/.cache: the data folder is always in tmp_path."""
    monkeypatch.setenv("MAMLKIT_DATA", str(tmp_path / "data"))


def cells(image):
    """The one-hot rows of a 7×7 fake drawing: the column inked in each of the first three rows."""
    return tuple(int(np.flatnonzero(image[row])[0]) if image[row].any() else None
                 for row in range(3))


def test_the_fake_background_reads_every_character_once_in_order(fake):
    images, names = data.background(size=7)
    assert names == ("Alpha/character01", "Alpha/character02", "Beta/character01",
                     "Greek/character01", "Greek/character02")
    assert images.shape == (5, 4, 7, 7) and images.dtype == np.float64
    assert set(np.unique(images)) == {0.0, 1.0}  # whole 15×15 cells: the box filter is exact
    expected = [(ORDER.index(n.split("/")[0]), int(n[-2:]) - 1) for n in names]
    assert [[cells(d) for d in c] for c in images] == [[(a, c, d) for d in range(4)]
                                                        for a, c in expected]
    assert data.background(size=7)[0] is images  # memoised
    assert not images.flags.writeable


def test_the_box_filter_keeps_ink_as_the_covered_fraction(fake):
    images, _ = data.background(size=10)  # 10.5 drawn pixels a pixel: cells cut across pixels
    full = data.background(size=105)[0]
    assert images.shape == (5, 4, 10, 10) and images.min() == 0 and images.max() == 1
    assert ((images > 0) & (images < 1)).any()
    assert np.allclose(images.mean(axis=(2, 3)), full.mean(axis=(2, 3)), rtol=0.05)  # ink kept
    assert set(np.unique(full)) == {0.0, 1.0}


def test_the_fake_runs_match_each_test_drawing_to_its_class(fake):
    runs = data.lake_runs(size=7)
    assert len(runs) == 2
    for run, (support, query, answers) in zip(LABELS, runs):
        assert support.shape == query.shape == (3, 7, 7) and answers.dtype.kind == "i"
        assert answers.tolist() == LABELS[run]
        assert [cells(s) for s in support] == [(run, c, None) for c in range(3)]
        assert [cells(q) for q in query] == [(run, c, 6) for c in LABELS[run]]
    characters = data.evaluation(size=7)  # runs 1 and 2 are one pair: 3 characters, 4 drawings
    assert characters.shape == (3, 4, 7, 7)
    assert [[cells(d) for d in drawings] for drawings in characters] == [
        [(1, c, None), (1, c, 6), (2, c, None), (2, c, 6)] for c in range(3)]


@needs_real
def test_the_shared_copy():
    assert all(data.path(n) == REAL_DIR / n for n in REAL_FILES)
    images, names = data.background()
    assert images.shape == (242, 20, 28, 28) and len(set(names)) == 242
    alphabets = [n.split("/")[0] for n in names]
    assert len(set(alphabets)) == 8 and alphabets.count("Greek") == 24
    assert alphabets.count("Latin") == 26
    assert images.min() == 0 and images.max() == 1 and 0.02 < images.mean() < 0.2  # ink is rare
    characters = data.evaluation()
    assert characters.shape == (200, 4, 28, 28) and characters.dtype == np.float64
    runs = data.lake_runs()
    assert len(runs) == 20
    hits = []
    for support, query, answers in runs:
        assert support.shape == query.shape == (20, 28, 28)
        assert sorted(answers) == list(range(20))
        distances = ((query[:, None] - support[None]) ** 2).sum(axis=(2, 3))
        hits.append(distances.argmin(axis=1) == answers)
    assert np.mean(hits) > 0.12  # nearest neighbour on pixels: ~21% (chance 5%): answers align
    assert np.array_equal(characters[:20, 0], runs[0][0])
    assert np.array_equal(characters[:20, 1][runs[0][2]], runs[0][1])
    assert np.array_equal(characters[:20, 2], runs[1][0])
    # runs 2i+1 and 2i+2 show the same characters in the same order: the mean of a character's
    # two drawings in one run is nearest (on pixels) to its own in the other run far more often
    # than chance (1 in 20), which neighbouring runs of different pairs are not
    def mean_drawing(k):
        support, query, answers = runs[k]
        return (support + query[np.argsort(answers)]).reshape(20, -1) / 2

    def same_order(a, b):
        first, second = mean_drawing(a), mean_drawing(b)
        return np.mean(((second[:, None] - first[None]) ** 2).sum(-1).argmin(1) == np.arange(20))

    assert np.mean([same_order(2 * i, 2 * i + 1) for i in range(10)]) > 0.2  # measured 0.30
    assert np.mean([same_order(2 * i + 1, 2 * i + 2) for i in range(9)]) < 0.1  # measured 0.02


def test_a_file_with_a_wrong_checksum_is_refused_and_moved_aside(fake, tmp_path):
    name = "all_runs.zip"
    folder = tmp_path / "data"
    folder.mkdir()
    (fake / name).replace(folder / name)
    with zipfile.ZipFile(folder / name, "a") as archive:
        archive.writestr("extra.txt", "tampered")
    actual = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    with pytest.raises(data.ChecksumError) as error:
        data.path(name)
    assert all(s in str(error.value) for s in (name, data.FILES[name][1], actual))
    assert isinstance(error.value, ValueError)
    assert not (folder / name).exists() and (folder / f"{name}.corrupt").exists()
    with pytest.raises(FileNotFoundError):  # never used: the next call wants a fresh download
        data.lake_runs(size=7)


def test_a_shared_copy_with_a_wrong_checksum_is_ignored(fake, tmp_path):
    name = "all_runs.zip"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / name).write_bytes((fake / name).read_bytes())
    (fake / name).write_bytes(b"not the file")
    with pytest.warns(UserWarning, match="ignoring"):
        assert data.path(name) == tmp_path / "data" / name


@pytest.fixture
def serve():
    """serve(handler class) -> base URL of an HTTP server on 127.0.0.1, stopped afterwards."""
    servers = []

    def start(handler):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.parametrize("source", ["fake", pytest.param("shared", marks=needs_real)])
def test_a_missing_file_is_downloaded_verified_and_used(source, fake, serve, tmp_path, monkeypatch):
    directory = fake if source == "fake" else REAL_DIR
    if source == "shared":
        monkeypatch.setattr(data, "FILES", REAL_FILES)
    monkeypatch.setattr(data, "SHARED", tmp_path / "nowhere")
    monkeypatch.setenv("MAMLKIT_OMNIGLOT_URL", serve(functools.partial(Quiet, directory=directory)))
    for name in data.FILES:
        assert data.path(name) == tmp_path / "data" / name
        assert (tmp_path / "data" / name).read_bytes() == (directory / name).read_bytes()
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == sorted(data.FILES)
    images, names = data.background(size=7)
    assert len(names) == (5 if source == "fake" else 242)


class Interrupted(Quiet):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"x" * 1000)
        self.close_connection = True


class Wrong(Quiet):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"wrong")


def test_an_interrupted_download_leaves_no_file(fake, serve, tmp_path, monkeypatch):
    monkeypatch.setattr(data, "SHARED", tmp_path / "nowhere")
    monkeypatch.setenv("MAMLKIT_OMNIGLOT_URL", serve(Interrupted))
    with pytest.raises(FileNotFoundError, match="interrupted: got 1000 of 100000 bytes"):
        data.path("all_runs.zip")
    assert list((tmp_path / "data").iterdir()) == []


def test_a_download_with_the_wrong_checksum_is_refused_and_deleted(fake, serve, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setattr(data, "SHARED", tmp_path / "nowhere")
    monkeypatch.setenv("MAMLKIT_OMNIGLOT_URL", serve(Wrong))
    with pytest.raises(data.ChecksumError, match=data.FILES["all_runs.zip"][1]):
        data.path("all_runs.zip")
    assert list((tmp_path / "data").iterdir()) == []


def test_an_exception_during_a_download_leaves_no_file(fake, serve, tmp_path, monkeypatch):
    class Stop:
        def __init__(self, **_):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *_):
            pass

        def update(self, _):
            raise KeyboardInterrupt

    monkeypatch.setattr(data, "tqdm", Stop)
    monkeypatch.setattr(data, "SHARED", tmp_path / "nowhere")
    monkeypatch.setenv("MAMLKIT_OMNIGLOT_URL", serve(functools.partial(Quiet, directory=fake)))
    with pytest.raises(KeyboardInterrupt):
        data.path("all_runs.zip")
    assert list((tmp_path / "data").iterdir()) == []


@pytest.mark.parametrize("server", ["none", "empty"])
def test_without_the_files_the_error_says_what_is_missing_and_where_to_put_it(
        server, fake, serve, tmp_path, monkeypatch):
    if server == "none":
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    else:  # a server without the files: 404
        url = serve(functools.partial(Quiet, directory=tmp_path / "nowhere"))
    monkeypatch.setattr(data, "SHARED", tmp_path / "nowhere")
    monkeypatch.setenv("MAMLKIT_OMNIGLOT_URL", url)
    with pytest.raises(FileNotFoundError) as error:
        data.background(size=7)
    message = str(error.value)
    assert all(n in message for n in data.FILES) and str(tmp_path / "data") in message
    assert "MAMLKIT_DATA" in message and all(url in message for url, _ in data.FILES.values())
    assert not (tmp_path / "data").exists() or list((tmp_path / "data").iterdir()) == []


def marked(classes=7, drawings=6, side=3):
    """images[c, d] filled with c + d / 100, so every sampled image tells where it came from."""
    c, d = np.meshgrid(np.arange(classes), np.arange(drawings), indexing="ij")
    return np.broadcast_to((c + d / 100)[:, :, None, None], (classes, drawings, side, side)).copy()


def origin(x):
    value = x[..., 0]
    return np.floor(value + 1e-9).astype(int), np.rint(100 * (value % 1)).astype(int)


def test_sample_task_counts_labels_and_drawings():
    images = marked()
    before = images.copy()
    (xs, ys), (xq, yq) = data.sample_task(images, n_way=4, k_shot=2, queries=3, rng=0)
    assert xs.shape == (8, 9) and xq.shape == (12, 9) and xs.dtype == xq.dtype == np.float64
    assert ys.dtype.kind == yq.dtype.kind == "i"
    assert ys.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert yq.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    (cs, ds), (cq, dq) = origin(xs), origin(xq)
    classes = cs[::2]
    assert len(set(classes)) == 4 and np.array_equal(cq, np.repeat(classes, 3))
    assert np.array_equal(cs, np.repeat(classes, 2))
    for label in range(4):  # k_shot + queries different drawings of one class
        drawn = np.concatenate([ds[ys == label], dq[yq == label]])
        assert len(set(drawn)) == 5
    assert np.array_equal(images, before)


def test_sample_task_is_seeded_and_orders_classes_at_random():
    images = marked()
    one, two = (data.sample_task(images, 5, 1, 2, np.random.default_rng(3)) for _ in range(2))
    assert all(np.array_equal(a, b) for a, b in zip(one.train + one.test, two.train + two.test))
    firsts = {origin(data.sample_task(images, 5, 1, 1, s).train[0])[0][0] for s in range(200)}
    assert len(firsts) == 7  # the class labelled 0 is any class
    increasing = [np.all(np.diff(origin(data.sample_task(images, 5, 1, 1, s).train[0])[0]) > 0)
                  for s in range(40)]
    assert not all(increasing)
    a, b = (data.sample_task(images, 5, 1, 1, s).train[0] for s in (1, 2))
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("kwargs, argument, limit", [
    (dict(n_way=8), "n_way", "1..7"), (dict(n_way=0), "n_way", ">= 1"),
    (dict(n_way=2.0), "n_way", ">= 1"), (dict(k_shot=-1), "k_shot", ">= 1"),
    (dict(k_shot=1.5), "k_shot", ">= 1"), (dict(queries=True), "queries", ">= 1"),
    (dict(k_shot=3, queries=4), "k_shot + queries", "at most 6"),
])
def test_sample_task_refuses_bad_arguments(kwargs, argument, limit):
    arguments = dict(n_way=5, k_shot=1, queries=1) | kwargs
    with pytest.raises(ValueError, match=rf"{re.escape(argument)} must .*{limit}"):
        data.sample_task(marked(), rng=0, **arguments)
    with pytest.raises(ValueError, match="images must"):
        data.sample_task(np.zeros((3, 4, 5)), 2, 1, 1, 0)


def test_split_is_by_character_disjoint_and_seeded(fake):
    train, validation = data.split(100, 20, seed=1)
    assert len(validation) == 20 and len(train) == 80
    assert set(train).isdisjoint(validation) and set(train) | set(validation) == set(range(100))
    assert np.array_equal(data.split(100, 20, seed=1)[0], train)
    assert not np.array_equal(data.split(100, 20, seed=2)[0], train)
    assert len(data.split(100, 0.25, seed=1)[1]) == 25
    images, names = data.background(size=7)
    train, validation = data.split(len(names), 2, seed=0)
    seen = {cells(d)[:2] for d in images[train].reshape(-1, 7, 7)}
    held = {cells(d)[:2] for d in images[validation].reshape(-1, 7, 7)}
    assert seen.isdisjoint(held) and len(seen) == 3 and len(held) == 2  # no drawing crosses
    for bad in (0, 100, -1, 1.0, 0.0, True, "5"):
        with pytest.raises(ValueError, match="validation must"):
            data.split(100, bad)


def test_rotations_are_new_classes():
    images = np.random.default_rng(0).random((3, 2, 4, 4))
    before = images.copy()
    rotated = data.rotations(images)
    assert rotated.shape == (12, 2, 4, 4)
    for k in range(4):
        for c in range(3):
            assert np.array_equal(rotated[k * 3 + c], np.rot90(images[c], k, axes=(1, 2)))
    assert np.array_equal(images, before)
    assert len({r.tobytes() for r in rotated.reshape(12, -1)}) == 12


def test_bad_names_and_sizes_are_refused():
    with pytest.raises(ValueError, match="name must be one of"):
        data.path("images_evaluation.zip")
    for size in (0, 106, 2.5):
        with pytest.raises(ValueError, match="size must"):
            data.background(size=size)
