"""The student edition (tools/student.py, `make student`): built from the course's notebooks into a
temporary folder, it is the same bytes every time, holds no solution, keeps every check, and each
notebook runs from top to bottom in a fresh kernel, every exercise saying "not done yet".
"""
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import course  # noqa: E402
import launch_cell  # noqa: E402
import student  # noqa: E402
from test_notebook_independence import execution_failure  # noqa: E402

NOTEBOOKS = course.notebooks()


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """The student edition of the course's notebooks, built once: {name: notebook dict}."""
    out = tmp_path_factory.mktemp("student")
    student.build(out)
    return {path.name: course.read(path) for path in course.notebooks(out)}


def solution_cells(notebook):
    return [cell for cell in notebook["cells"] if student.is_solution(cell)]


def code_lines(cells):
    """The stripped source lines of the cells, comments and blank lines included as they are."""
    return {line.strip() for cell in cells for line in course.source(cell).splitlines()}


def test_there_are_notebooks_and_exercises():
    assert NOTEBOOKS and any(solution_cells(course.read(path)) for path in NOTEBOOKS)


def test_the_edition_is_the_same_bytes_every_time_and_leaves_the_notebooks_alone(tmp_path):
    before = {path.name: path.read_bytes() for path in NOTEBOOKS}
    first, second = student.build(tmp_path / "one"), student.build(tmp_path / "two")
    assert [p.name for p in first] == [p.name for p in second] == sorted(before)
    for one, two in zip(first, second):
        assert one.read_bytes() == two.read_bytes(), one.name
    assert {path.name: path.read_bytes() for path in NOTEBOOKS} == before


def test_a_rebuild_removes_a_notebook_that_is_gone(tmp_path):
    (tmp_path / "99_old.ipynb").write_text("{}")
    student.build(tmp_path)
    assert not (tmp_path / "99_old.ipynb").exists()


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_no_solution_is_left(name, edition):
    instructor = course.read(course.NOTEBOOKS / name)
    mine = edition[name]
    nbformat.validate(nbformat.reads(course.dumps(mine), as_version=4))
    assert not solution_cells(mine)
    others = [cell for cell in instructor["cells"] if not student.is_solution(cell)]
    unique = code_lines(solution_cells(instructor)) - code_lines(others)
    unique = {line for line in unique if len(line) > 3}  # not ")" or "]" alone
    left = unique & code_lines(mine["cells"])
    assert not left, f"lines of a solution left in the student's {name}: {sorted(left)[:5]}"
    assert "# Solution" not in "".join(course.source(cell) for cell in mine["cells"])


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_every_check_is_kept_and_nothing_is_stored(name, edition):
    instructor = course.read(course.NOTEBOOKS / name)
    names = {n for cell in instructor["cells"] if cell["cell_type"] == "code"
             for n in student.check_names(course.source(cell))}
    mine = edition[name]
    assert names == {n for cell in mine["cells"] if cell["cell_type"] == "code"
                     for n in student.check_names(course.source(cell))}
    for cell in mine["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
        assert "execution" not in cell["metadata"]
    assert "widgets" not in mine["metadata"]


def exercise(solution_source, stub_source=None):
    """A small notebook: a title, maybe a stub cell, and a solution cell."""
    cells = [nbformat.v4.new_markdown_cell("# A lesson", id="title")]
    if stub_source is not None:
        cells.append(nbformat.v4.new_code_cell(stub_source, id="stub"))
    solution = nbformat.v4.new_code_cell(solution_source, id="answer",
                                         metadata={"tags": ["solution"]})
    solution.outputs = [nbformat.v4.new_output("stream", text="[x] correct.\n")]
    cells.append(solution)
    return nbformat.v4.new_notebook(cells=cells)


def test_a_solution_after_its_stub_is_dropped():
    notebook = exercise("# Solution\nx = 2\ncheck('x', x)", "x = ...\ncheck('x', x)")
    cells = student.student_notebook(notebook)["cells"]
    assert [cell["id"] for cell in cells] == ["title", "stub"]
    assert len(notebook["cells"]) == 3  # the input is not changed


def test_a_solution_without_a_stub_becomes_a_cell_that_says_not_done_yet(capsys):
    for notebook in (exercise("# Solution\nx = 2\ncheck('x', x)"),  # no cell before it
                     exercise("# Solution\nx = 2\ncheck('x', x)", "y = ...\ncheck('y', y)")):
        cell = student.student_notebook(notebook)["cells"][-1]
        assert not student.is_solution(cell) and cell["outputs"] == []
        assert student.check_names(course.source(cell)) == ["x"]
        assert "x = 2" not in course.source(cell)


def test_the_badges_go_and_the_colab_setup_stays():
    notebook = exercise("# Solution\nx = 2\ncheck('x', x)", "x = ...\ncheck('x', x)")
    notebook = launch_cell.with_launch_cells(notebook, "00_a.ipynb")
    tags = [course.tags(cell) for cell in student.student_notebook(notebook)["cells"]]
    assert [course.SETUP_TAG] in tags and [course.BADGES_TAG] not in tags


def code(notebook):
    return [course.source(cell) for cell in notebook["cells"] if cell["cell_type"] == "code"]


# Only a notebook with exercises changes: the others (the appendices) keep every code cell as it
# is, and nbval and test_notebook_independence.py run those already.
EXERCISES = [path for path in NOTEBOOKS if solution_cells(course.read(path))]


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS if p not in EXERCISES])
def test_a_notebook_without_exercises_keeps_its_code(name, edition):
    instructor = course.read(course.NOTEBOOKS / name)
    assert code(edition[name]) == code(instructor)


@pytest.mark.parametrize("name", [p.name for p in EXERCISES], ids=[p.stem for p in EXERCISES])
def test_a_student_notebook_runs_and_every_exercise_says_not_done_yet(name, edition, tmp_path):
    """A fresh kernel, no error allowed; each check prints "[name] not done yet", none
    "correct."."""
    notebook = nbformat.reads(course.dumps(edition[name]), as_version=4)
    failure = execution_failure(notebook, tmp_path)
    if failure is not None:
        pytest.fail(f"the student's {name} does not run from top to bottom:\n{failure[-3000:]}",
                    pytrace=False)
    printed = "".join(output.get("text", "") for cell in notebook.cells
                      for output in cell.get("outputs", []) if output.output_type == "stream")
    names = {n for cell in notebook.cells if cell.cell_type == "code"
             for n in student.check_names(cell.source)}
    silent = sorted(n for n in names if f"[{n}] not done yet" not in printed)
    assert not silent, f"in the student's {name} these checks do not say 'not done yet': {silent}"
    assert "] correct." not in printed
