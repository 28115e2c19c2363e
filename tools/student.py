"""The student edition: `python tools/student.py [OUT]` writes every notebook of notebooks/ into OUT
(student/ by default) with its solutions taken out and its outputs cleared.

In the course every exercise is a stub cell the learner fills (ending in `check("name", answer)`),
followed by a hidden cell tagged `solution` that does the same with the answer. The stub is already
what the learner starts from, so a solution cell whose stub comes right before it (a code cell that
checks the same names) is dropped; a solution cell without one is replaced by a cell the learner
starts from: a comment and a `check("name", ...)` per name, which says "not done yet".
Outputs, execution counts, run timings and the stored widget state go; the launch badges go too
(they open the instructor's notebook, solutions included); the Colab setup cell stays.
Same notebooks in, same bytes out: nothing depends on the time, the machine or the order of files.
"""
import ast
import sys
from pathlib import Path

import course

SOLUTION_TAG = "solution"
OUT = course.ROOT / "student"


def check_names(code):
    """The exercise names of the `check("name", ...)` calls in a code cell's source."""
    try:
        tree = ast.parse(code)
    except SyntaxError:  # a cell with magics: no checks read from it
        return []
    return [node.args[0].value for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "check"
            and node.args and isinstance(node.args[0], ast.Constant)]


def is_solution(cell):
    return SOLUTION_TAG in course.tags(cell)


def has_stub(kept, solution):
    """Whether the last cell kept so far is the stub of this solution: a code cell, not a solution,
    that checks every name the solution checks."""
    if not kept or kept[-1]["cell_type"] != "code" or is_solution(kept[-1]):
        return False
    return set(check_names(course.source(solution))) <= set(check_names(course.source(kept[-1])))


def stub_for(solution):
    """A cell to start from, for a solution that has no stub before it."""
    names = check_names(course.source(solution))
    text = "# your code\n" + "".join(f"\ncheck({name!r}, ...)" for name in names)
    return {"cell_type": "code", "execution_count": None, "id": solution.get("id", "stub"),
            "metadata": {}, "outputs": [], "source": course.lines(text)}


def cleared(cell):
    """The cell without outputs, counts or timings (its other metadata kept)."""
    cell = dict(cell, metadata={k: v for k, v in cell.get("metadata", {}).items()
                                if k not in ("execution", "collapsed", "scrolled")})
    if cell["cell_type"] == "code":
        cell["outputs"], cell["execution_count"] = [], None
    return cell


def student_notebook(notebook):
    """The student edition of one notebook (a dict as json gives it); the input is not changed."""
    kept = []
    for cell in notebook["cells"]:
        if course.BADGES_TAG in course.tags(cell):
            continue
        if is_solution(cell):
            if has_stub(kept, cell):
                continue
            cell = stub_for(cell)
        kept.append(cleared(cell))
    metadata = {k: v for k, v in notebook["metadata"].items() if k != "widgets"}
    return dict(notebook, metadata=metadata, cells=kept)


def build(out=OUT, source=course.NOTEBOOKS):
    """Write the student edition of every notebook in source into out (emptied of old notebooks
    first, so that a renamed or removed lesson does not linger); the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.ipynb"):
        old.unlink()
    written = []
    for path in course.notebooks(source):
        course.write(out / path.name, student_notebook(course.read(path)))
        written.append(out / path.name)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    paths = build(target)
    print(f"student edition: {len(paths)} notebooks in {target}")
