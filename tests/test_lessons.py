"""Every lesson is a lesson: its form, its exercises and its outputs, read from the stored notebooks.

The notebooks' outputs come from one fresh top-to-bottom run (nbval runs them again), so what is stored
is what a learner sees after Run All.
"""
import ast
import json
import pathlib
import re

import pytest

from mamlkit.exercises import ANSWERS

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))
BLOWN_UP = re.compile(r"(?<![\w.])(inf|nan|diverged)(?![\w])|\d[eE]\+0*([6-9]|[1-9]\d)\b")


def cells(path):
    return json.loads(path.read_text())["cells"]


def source(cell):
    return "".join(cell["source"])


def text_outputs(cell):
    """What a code cell shows as text: streams, and plain or markdown results."""
    shown = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            shown.append("".join(output["text"]))
        for kind in ("text/markdown", "text/plain"):
            if kind in output.get("data", {}) and "image/png" not in output["data"]:
                shown.append("".join(output["data"][kind]))
                break
    return "".join(shown)


def check_calls(code):
    """The ``check(...)`` calls of a code cell, as ast.Call nodes (cells with magics are skipped)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "check"]


def is_solution(cell):
    return "solution" in cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_a_lesson_has_objectives_time_summary_and_references(path):
    markdown = [source(c) for c in cells(path) if c["cell_type"] == "markdown"
                and "launch-badges" not in c.get("metadata", {}).get("tags", [])]
    assert re.search(r"≈\s*\d+\s*min", markdown[0]), "an estimated time at the top (≈ 45 min)"
    assert re.search(r"(?i)objectives|you will", markdown[0]), "learning objectives at the top"
    assert any(re.match(r"#+\s*Summary", m) for m in markdown), "a summary"
    references = [m for m in markdown if re.match(r"#+\s*(References|Further reading)", m)]
    assert references and "arxiv.org" in references[0] and "interactive-maml.github.io" in references[0]
    assert any("<details>" in m for m in markdown), "a demo question with its answer behind a click"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_a_lesson_is_about_1500_words_and_never_over_2000(path):
    words = sum(len(source(c).split()) for c in cells(path) if c["cell_type"] == "markdown")
    assert words <= 2000, f"{words} words of prose"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_every_check_is_check_name_answer_and_the_name_is_known(path):
    for cell in cells(path):
        if cell["cell_type"] != "code":
            continue
        for call in check_calls(source(cell)):
            assert len(call.args) == 2 and not call.keywords, ast.unparse(call)
            name = call.args[0]
            assert isinstance(name, ast.Constant) and isinstance(name.value, str), ast.unparse(call)
            assert name.value in ANSWERS, f"{name.value!r} has no reference in mamlkit.exercises"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_solutions_are_tagged_collapsed_and_right(path):
    """A solution cell starts with a bare "# Solution", hides its source and its output, and its
    check printed "correct." in the stored run: the reference equals what the solution computes."""
    for cell in cells(path):
        if cell["cell_type"] != "code" or not source(cell).lstrip().startswith("# Solution"):
            continue
        assert is_solution(cell), source(cell)[:80]
    for cell in filter(is_solution, cells(path)):
        assert source(cell).splitlines()[0].strip() == "# Solution"
        jupyter = cell["metadata"].get("jupyter", {})
        assert jupyter.get("source_hidden") and jupyter.get("outputs_hidden"), source(cell)[:80]
        names = [call.args[0].value for call in check_calls(source(cell))]
        assert names, f"a solution cell checks its answer: {source(cell)[:80]}"
        for name in names:
            assert f"[{name}] correct." in text_outputs(cell), name


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_a_lesson_asks_to_write_an_algorithm(path):
    names = {call.args[0].value for cell in cells(path) if cell["cell_type"] == "code"
             for call in check_calls(source(cell)) if isinstance(call.args[0], ast.Constant)}
    functions = [name for name in names if "function" in ANSWERS.get(name, {})]
    assert functions, "at least one exercise that completes a function"
    stubs = [c for c in cells(path) if c["cell_type"] == "code" and not is_solution(c)
             and "raise NotImplementedError" in source(c)]
    assert stubs, "the function to complete starts as a stub raising NotImplementedError"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_run_all_does_not_show_an_answer_before_the_learner_tries(path):
    """Outside the solution cells, a check says "not done yet"; none says "correct."."""
    for cell in cells(path):
        if cell["cell_type"] == "code" and not is_solution(cell):
            assert "] correct." not in text_outputs(cell), source(cell)[:80]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_no_lesson_output_shows_a_blown_up_number(path):
    for cell in cells(path):
        if cell["cell_type"] == "code":
            found = BLOWN_UP.search(text_outputs(cell))
            assert not found, f"{found.group()} in the output of: {source(cell)[:80]}"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_numpy_is_np(path):
    code = "\n".join(source(c) for c in cells(path) if c["cell_type"] == "code")
    assert not re.search(r"import numpy as (?!np\b)|\bonp\.", code)
