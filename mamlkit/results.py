"""The committed benchmark results (``benchmarks/results/`` of the repository) as plain dicts and arrays.

* ``load_sinusoid``: ``sinusoid.json`` written by ``benchmarks/reproduce_sinusoid.py``, the MSE (and 95% interval)
  of each method after s fine-tuning steps on K-shot held-out sinusoid tasks.
* ``load_timing``: ``meta_gradient.md`` (``benchmarks/bench_meta_gradient.py``), ms per meta-batch of each method.
* ``load_memory``: ``memory.md`` (``benchmarks/bench_memory.py``), peak memory against the number of inner steps.
* ``load_tables``: every markdown table in the ``*.md`` files there, as rows of text cells.

Paths default to the repository's ``benchmarks/results``, found next to the package (an editable install) or
in the working directory or any of its parents (a notebook runs from ``notebooks/``).
"""
import json
import math
import pathlib
import re

import numpy as onp

SUBDIR = pathlib.Path("benchmarks") / "results"
METHODS = ("pretrained", "maml", "fomaml", "reptile", "imaml")
REPRODUCE = "python benchmarks/reproduce_sinusoid.py"
SCRIPTS = {"sinusoid": REPRODUCE, "meta_gradient": "python benchmarks/bench_meta_gradient.py",
           "memory": "python benchmarks/bench_memory.py"}


class ResultsMissingError(FileNotFoundError):
    """A results file the notebooks read has not been produced (run the benchmark script named in the message)."""


def results_dir(path=None):
    """``path`` itself if given; else the first existing ``benchmarks/results`` next to the package, in the
    working directory, or in one of its parents."""
    if path is not None:
        return pathlib.Path(path)
    cwd = pathlib.Path.cwd().resolve()
    candidates = [pathlib.Path(__file__).resolve().parents[1], cwd, *cwd.parents]
    for root in candidates:
        if (root / SUBDIR).is_dir():
            return root / SUBDIR
    raise ResultsMissingError(
        f"no {SUBDIR} folder next to the mamlkit package or above {cwd}: pass the folder as path=")


def load_sinusoid(path=None):
    """{method: {K: {steps: {"mse": m, "ci95": c}}}} from ``sinusoid.json``, with K and steps as ints.

    ``path`` is the file or the folder holding it (default: ``results_dir()``). The file stores K and steps as
    strings (JSON keys). A null MSE or interval (see ``dumps``) comes back as inf: fine-tuning that diverged.
    """
    raw = json.loads(_read(path, "sinusoid.json"))
    return {method: {int(k): {int(s): {key: _inf_if_none(e[key]) for key in ("mse", "ci95")}
                              for s, e in by_steps.items()} for k, by_steps in by_k.items()}
            for method, by_k in raw.items()}


def dumps(data, **options):
    """``json.dumps(data, **options)`` with every inf or nan written as null, so that any JSON reader accepts the
    results files and weight info: a diverged fine-tuning's mean is inf, and its interval nan (inf − inf).
    ``load_sinusoid`` and ``zoo.other_draws`` read null back as inf. numpy numbers and arrays are written as the
    plain numbers and lists they hold."""
    def finite(value):
        if isinstance(value, dict):
            return {key: finite(v) for key, v in value.items()}
        if isinstance(value, (onp.ndarray, onp.generic)):
            return finite(value.tolist())
        if isinstance(value, (list, tuple)):
            return [finite(v) for v in value]
        return None if isinstance(value, float) and not math.isfinite(value) else value
    return json.dumps(finite(data), allow_nan=False, **options)


def _inf_if_none(value):
    return onp.inf if value is None else float(value)


def sinusoid_arrays(results, k, methods=METHODS, steps=(0, 1, 5, 10)):
    """(mse, ci95), two arrays of shape (len(methods), len(steps)): row i is ``methods[i]`` at K = ``k``."""
    missing = [m for m in methods if m not in results or k not in results[m]]
    if missing:
        raise ValueError(f"no K={k} results for {missing}; the file has {sorted(results)}")
    mse = onp.array([[results[m][k][s]["mse"] for s in steps] for m in methods])
    ci = onp.array([[results[m][k][s]["ci95"] for s in steps] for m in methods])
    return mse, ci


def sinusoid_markdown(results, ks=(5, 10), methods=METHODS, steps=(0, 1, 5, 10), labels=None):
    """A markdown table: one row per method, one column per (K, steps), cells "mse ± ci95" (see ``mse_text``)."""
    labels = labels or {}
    header = ["method"] + [f"K={k}, {s} step{'s' * (s != 1)}" for k in ks for s in steps]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for m in methods:
        cells = [mse_text(results[m][k][s]["mse"], results[m][k][s]["ci95"]) for k in ks for s in steps]
        lines.append("| " + " | ".join([labels.get(m, m)] + cells) + " |")
    return "\n".join(lines)


def mse_text(mse, ci=None):
    """"0.605 ± 0.054" ("0.605" without ``ci``); "diverged" for a non-finite MSE; powers of ten for a blown-up one
    (≥ 1000)."""
    if not onp.isfinite(mse):
        return "diverged"
    number = "{:.3f}" if mse < 1e3 else "{:.1e}"
    return number.format(mse) if ci is None else f"{number.format(mse)} ± {number.format(ci)}"


def read_tables(text):
    """The pipe tables of a markdown text: a list of {"title", "header": [cells], "rows": [[cells], …]}, cells
    stripped; "title" is the text of the last heading (``#``, ``##``, …) above the table, or ""."""
    tables, current, title = [], None, ""
    for line in text.splitlines():
        line = line.strip()
        if not (line.startswith("|") and line.endswith("|")):
            current = None
            if line.startswith("#"):
                title = line.lstrip("#").strip()
            continue
        cells = [c.strip() for c in line[1:-1].split("|")]
        if current is None:
            current = {"title": title, "header": cells, "rows": []}
            tables.append(current)
        elif not all(re.fullmatch(r":?-+:?", c) for c in cells):  # skip the |---| separator line
            current["rows"].append(cells)
    return tables


def load_tables(path=None):
    """{file stem: [tables]} for every ``*.md`` file in the results folder (see ``read_tables``)."""
    folder = results_dir(path)
    return {f.stem: read_tables(f.read_text()) for f in sorted(folder.glob("*.md"))}


def table_rows(table):
    """{first cell of a row: {column header: the number in that cell, or None}} over the other columns."""
    return {row[0]: {h: number(c) for h, c in zip(table["header"][1:], row[1:])} for row in table["rows"]}


def table_columns(table):
    """{column header: array of that column's numbers (nan where a cell holds none)}."""
    return {h: onp.array([number(row[j]) if j < len(row) and number(row[j]) is not None else onp.nan
                          for row in table["rows"]]) for j, h in enumerate(table["header"])}


def load_timing(path=None):
    """{inner steps: {row label: {column: number}}} from ``meta_gradient.md``, one table per section headed
    "k inner step(s)"; rows are "plain gradient", "pretrain", "maml", …, columns "ms (CPU)", "ms per meta-batch
    (wall)", "× plain gradient (autograd)", …"""
    tables = read_tables(_read(path, "meta_gradient.md"))
    return {int(number(t["title"])): table_rows(t) for t in tables if "inner step" in t["title"]}


def load_memory(path=None):
    """{column header: array} of the table in ``memory.md``: "inner steps", then each method's peak memory (MB)."""
    return table_columns(read_tables(_read(path, "memory.md"))[0])


def number(cell):
    """The first number in a table cell ("12.5 ms", "×1.9", "0.67 ± 0.02", ".5", "−0.5" → 12.5, 1.9, 0.67, 0.5,
    −0.5; "−" is the typographic minus), or None."""
    found = re.search(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?", cell.replace(",", "").replace("−", "-"))
    return float(found.group()) if found else None


def _read(path, name):
    """The text of results file ``name`` (``path`` is the file, its folder, or None for ``results_dir()``)."""
    path = pathlib.Path(path) if path is not None else results_dir() / name
    file = path / name if path.is_dir() else path
    if not file.exists():
        raise ResultsMissingError(
            f"{file} does not exist yet: it is written by `{SCRIPTS.get(file.stem, 'a script in benchmarks/')}`" + (
                " (the full run takes about 10 minutes on 2 cores; `--quick` makes a rough one in under a minute)"
                if file.stem == "sinusoid" else ""))
    return file.read_text()
