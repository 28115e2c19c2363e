"""Bookkeeping of the benchmark scripts: the papers' numbers, strict JSON, the results' numbers.

The notebooks read what the scripts commit through ``mamlkit.zoo.results(name)``: ``sinusoid.json``
(reproduce_sinusoid.py), ``meta_gradient.json`` and ``memory.json`` (the tables of the pages of
bench_meta_gradient.py and bench_memory.py, read by ``timing`` and ``memory``) and
``published.json``.
"""
import json
import math
import re

import numpy as onp

from mamlkit import zoo

PUBLISHED = zoo.results("published")  # {name: {"source": citation, …numbers}}, steps as ints
MAML_SINUSOID_5SHOT = PUBLISHED["maml_sinusoid_5shot"]  # {"maml", "pretrained": {steps: MSE}}


def dumps(data, **options):
    """``json.dumps(data, **options)`` with every inf or nan written as null, so that any JSON
    reader accepts the results files: a diverged fine-tuning's mean is inf, and its interval nan
    (inf − inf). numpy numbers and arrays are written as the plain numbers and lists they hold."""
    def finite(value):
        if isinstance(value, dict):
            return {key: finite(v) for key, v in value.items()}
        if isinstance(value, (onp.ndarray, onp.generic)):
            return finite(value.tolist())
        if isinstance(value, (list, tuple)):
            return [finite(v) for v in value]
        return None if isinstance(value, float) and not math.isfinite(value) else value
    return json.dumps(finite(data), allow_nan=False, **options)


def write_json(path, data):
    """Write ``data`` to ``path`` as ``dumps`` does, one entry a line, non-ASCII characters kept."""
    path.write_text(dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def mse_cell(value):
    """An MSE for the tables: three decimals, or ∞ beyond 1e6 or for None (diverged)."""
    return f"{value:.3f}" if value is not None and onp.isfinite(value) and value < 1e6 else "∞"


def other_draws(info):
    """{steps: per-draw 5-shot mean MSE} from a weight file's ``info["other_draws"]`` (written by
    reproduce_sinusoid.py for the models the MAML paper reports), steps as ints; a draw stored as
    None (some task's fine-tuning overflowed) becomes inf, so that it sorts and compares as the
    worst."""
    if "other_draws" not in info:
        raise ValueError(f"the {info.get('method', 'given')} model has no other draws: only the "
                         "models the MAML paper reports (pretrained, maml) are scored on them")
    return {int(steps): onp.array([onp.inf if v is None else v for v in values], dtype=float)
            for steps, values in info["other_draws"]["mse"].items()}


def number(cell):
    """The first number in a table cell ("12.5 ms", "×1.9", "0.67 ± 0.02", ".5", "−0.5" → 12.5,
    1.9, 0.67, 0.5, −0.5; "−" is the typographic minus), an int if written as one ("20" → 20), or
    None."""
    found = re.search(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?",
                      cell.replace(",", "").replace("−", "-"))
    if not found:
        return None
    text = found.group()
    return int(text) if re.fullmatch(r"[-+]?\d+", text) else float(text)


def read_tables(text):
    """The pipe tables of a markdown text: a list of {"title", "header": [cells], "rows": [[cells],
    …]}, cells stripped; "title" is the text of the last heading (``#``, ``##``, …) above the table,
    or ""."""
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


def timing(text):
    """{inner steps: {row label: {column: number}}} of a ``meta_gradient.md`` page, one table per
    section headed "k inner step(s)"; rows "plain gradient", "maml", …, "torch.func: maml", …,
    columns "ms (CPU)", "× plain gradient (autograd)", …; cells without a number are left out."""
    return {number(t["title"]): {row[0]: {h: number(c) for h, c in zip(t["header"][1:], row[1:])
                                          if number(c) is not None} for row in t["rows"]}
            for t in read_tables(text) if "inner step" in t["title"]}


def memory(text):
    """{column header: [numbers]} of the table of a ``memory.md`` page: "inner steps", then each
    method's peak memory (MB); a cell without a number is None."""
    table = read_tables(text)[0]
    return {h: [number(row[j]) if j < len(row) else None for row in table["rows"]]
            for j, h in enumerate(table["header"])}
