"""The launch badges and the Colab setup cell (tools/launch_cell.py), tried on copies of the
course's notebooks: put in where they belong, idempotent, the rest of each notebook untouched; the
setup cell does nothing where mamlkit is installed, installs it from the repository where it is
not, and turns on Colab's widget manager only in Colab. The README carries the course's badges.
"""
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import course  # noqa: E402
import launch_cell  # noqa: E402

NOTEBOOKS = course.notebooks()


@pytest.fixture
def copies(tmp_path):
    for path in NOTEBOOKS:
        shutil.copy2(path, tmp_path / path.name)
    return course.notebooks(tmp_path)


def without_launch_cells(notebook):
    return [cell for cell in notebook["cells"]
            if not {course.BADGES_TAG, course.SETUP_TAG} & set(course.tags(cell))]


def test_the_cells_go_in_once_and_the_rest_is_untouched(copies):
    originals = {path.name: without_launch_cells(course.read(path)) for path in copies}
    assert [launch_cell.update(path) for path in copies] == [
        launch_cell.with_launch_cells(course.read(path), path.name) != course.read(path)
        for path in NOTEBOOKS]
    once = {path.name: path.read_bytes() for path in copies}
    assert not any(launch_cell.update(path) for path in copies)  # a second run changes nothing
    assert {path.name: path.read_bytes() for path in copies} == once
    for path in copies:
        cells = course.read(path)["cells"]
        assert course.tags(cells[0]) == [course.BADGES_TAG]
        assert launch_cell.colab_url(path.name) in course.source(cells[0])
        assert launch_cell.binder_url(path.name) in course.source(cells[0])
        first_code = next(cell for cell in cells if cell["cell_type"] == "code")
        assert course.tags(first_code) == [course.SETUP_TAG]
        assert without_launch_cells(course.read(path)) == originals[path.name]


def test_the_colab_url_has_the_documented_form():
    owner_repo = course.github_path(course.repository())
    assert launch_cell.colab_url("01_maml.ipynb") == (
        f"https://colab.research.google.com/github/{owner_repo}/blob/main/notebooks/01_maml.ipynb")
    with pytest.raises(ValueError, match="repository URL"):
        course.github_path("https://example.org/mamlkit")


def setup_source():
    return course.source(launch_cell.setup_cell())


def test_the_setup_cell_does_nothing_where_mamlkit_is_installed():
    done = subprocess.run([sys.executable, "-c", setup_source()], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done.stderr


def test_the_setup_cell_installs_from_the_repository_and_turns_on_colab_widgets(monkeypatch):
    calls, enabled = [], []
    colab = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: enabled.append(1))
    google = types.ModuleType("google")
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    import importlib.util
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "mamlkit" else real_find_spec(name, *a))
    monkeypatch.setattr(subprocess, "check_call", lambda command: calls.append(command))
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(compile(setup_source(), "setup-cell", "exec"), {})
    clone, install = calls
    assert clone[:2] == ["git", "clone"] and clone[-2:] == [course.repository(), "mamlkit-course"]
    assert install[:4] == [sys.executable, "-m", "pip", "install"]
    assert install[-2:] == ["-e", "mamlkit-course"]
    assert enabled == [1]


def test_the_readme_has_the_course_s_badges():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert launch_cell.badges() in readme
