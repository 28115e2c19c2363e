"""Each course notebook runs alone in a fresh kernel, and running it twice in one kernel gives the
same text.

One execution per notebook covers both properties (notebooks take up to ~45 s each): all its code
cells, then all of them again, in one fresh kernel started in a scratch directory that holds the
notebook's folder but none of the other notebooks. The first pass is the notebook alone in a fresh
kernel, so it must not raise; the second pass is a learner pressing "Run All" again, so every cell's
text output must equal its first-pass text (stdout and text/plain results; stderr, where tqdm bars
and one-off warnings go, and images are not compared). Durations, memory addresses and widget model
ids change from run to run and are normalised away.
"""
import copy
import difflib
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 600  # seconds; a whole notebook should take well under a minute
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Things that legitimately differ between two runs of the same code: how long it took, where
# objects live.
RUN_TO_RUN = [
    (re.compile(r"\d+(?:\.\d+)?\s*(?:ns|µs|us|ms|s|sec|secs|seconds?|min|mins|minutes?)\b"),
     "<duration>"),
    (re.compile(r"\d+(?:\.\d+)?\s*(?:it/s|s/it)"), "<rate>"),
    (re.compile(r"\b0x[0-9a-fA-F]+"), "0x<address>"),
]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def cell_text(cell):
    """The text a learner reads under a code cell: stdout, text/plain results and error names,
    normalised. A widget is shown as ``<widget>`` (its model id is new in every run; the widget
    sweep checks its content)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stdout":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            plain = output.data.get("text/plain", "") + "\n"
            parts.append("<widget>\n" if WIDGET_VIEW in output.data else plain)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}\n")
    text = "".join(parts)
    for pattern, replacement in RUN_TO_RUN:
        text = pattern.sub(replacement, text)
    return text


def alone_in(directory, notebook):
    """Copy the notebook's folder into ``directory`` without the other notebooks; return the copy's
    path."""
    for entry in NOTEBOOK_DIR.iterdir():
        if entry.suffix == ".ipynb" or entry.name == ".ipynb_checkpoints":
            continue
        (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, directory / entry.name)
    return Path(shutil.copy2(notebook, directory))


def execution_failure(notebook, folder):
    """Run ``notebook`` in place in a fresh kernel working in ``folder``: None, or the error's text
    without colour codes (returned, not raised, so that a report needs no exception chain)."""
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    try:
        client.execute()
    except CellExecutionError as err:
        return ANSI.sub("", str(err))
    return None


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_runs_alone_and_twice_alike(path, tmp_path):
    notebook = nbformat.read(alone_in(tmp_path, path), as_version=4)
    code = [(i, cell) for i, cell in enumerate(notebook.cells, start=1)  # numbered from 1
            if cell.cell_type == "code"]
    twice = nbformat.v4.new_notebook(metadata=notebook.metadata, cells=[  # new ids, no outputs
        nbformat.v4.new_code_cell(cell.source, metadata=copy.deepcopy(cell.metadata))
        for _run in (1, 2) for _, cell in code])
    failure = execution_failure(twice, tmp_path)
    if failure is not None:
        failed = next((k for k, cell in enumerate(twice.cells)
                       if any(o.output_type == "error" for o in cell.get("outputs", []))), 0)
        run = ("alone in a fresh kernel" if failed < len(code)
               else "a second time in the same kernel")
        pytest.fail(f"{path.name}: cell {code[failed % len(code)][0]} failed when run {run}:\n"
                    f"{failure}", pytrace=False)

    differences = []
    for k, (index, cell) in enumerate(code):
        first, second = cell_text(twice.cells[k]), cell_text(twice.cells[k + len(code)])
        if first != second:
            diff = difflib.unified_diff(first.splitlines(), second.splitlines(), "first run",
                                        "second run", lineterm="", n=1)
            head = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            differences.append(f"cell {index} ({head[:60]!r}):\n    "
                               + "\n    ".join(list(diff)[:12]))
    if differences:
        pytest.fail(f"{path.name} is not idempotent: running it again in the same kernel changes "
                    f"the text under {len(differences)} cell(s) (re-seed the generators inside the "
                    "cells that sample):\n" + "\n".join(differences), pytrace=False)
