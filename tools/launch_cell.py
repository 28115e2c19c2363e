"""Launch badges and the Colab setup cell: `python tools/launch_cell.py [NOTEBOOK ...]` (every
notebook of notebooks/ by default) puts into each notebook

* at the top, a markdown cell tagged `launch-badges`: "Open in Colab" and "Launch Binder" for that
  notebook;
* just before its first code cell, a code cell tagged `launch-setup` that installs mamlkit from the
  repository when it cannot be imported (Colab, or any Jupyter without the course installed) and,
  in Colab only, turns on Colab's manager for third-party widgets (ipywidgets, ipympl). Where
  mamlkit is installed (make lab, Binder, the tests) it does nothing.

Running it again replaces the two cells with their current text (the repository's address comes
from pyproject.toml), so it is idempotent, and a notebook whose cells are current is not rewritten.
Outputs of the other cells are kept as they are: the setup cell prints nothing where it does
nothing.
"""
import sys
from pathlib import Path

import course

COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
SETUP = '''\
# For Colab and other hosted notebooks: fetch the course (mamlkit, its weights and the committed
# benchmark results the lessons read) when mamlkit is missing, and let Colab show the widgets.
# Where the course is installed (make lab, Binder) it does nothing.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("mamlkit") is None:
    subprocess.check_call(["git", "clone", "--quiet", "--depth", "1", "{repository}",
                           "mamlkit-course"])
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "-e",
                           "mamlkit-course"])
    sys.path.insert(0, "mamlkit-course")  # an editable install counts from the next start
    importlib.invalidate_caches()
if "google.colab" in sys.modules:
    from google.colab import output

    output.enable_custom_widget_manager()'''


def colab_url(name, repository=None):
    repository = repository or course.repository()
    return (f"https://colab.research.google.com/github/{course.github_path(repository)}"
            f"/blob/main/notebooks/{name}")


def binder_url(name=None, repository=None):
    """Binder's link: JupyterLab on the repository (built from environment.yml), at the notebook."""
    repository = repository or course.repository()
    where = f"notebooks/{name}" if name else "notebooks"
    return (f"https://mybinder.org/v2/gh/{course.github_path(repository)}/HEAD"
            f"?urlpath=lab/tree/{where}")


def badges(name=None, repository=None):
    """The two badges as markdown, for one notebook, or for the course (name None: Binder opens the
    notebooks' folder, Colab the first lesson)."""
    colab = colab_url(name or course.notebooks()[0].name, repository)
    return (f"[![Open In Colab]({COLAB_BADGE})]({colab}) "
            f"[![Launch Binder]({BINDER_BADGE})]({binder_url(name, repository)})")


def badge_cell(name, repository=None):
    tagged = {"tags": [course.BADGES_TAG]}
    return {"cell_type": "markdown", "id": "launch-badges", "metadata": tagged,
            "source": course.lines(badges(name, repository))}


def setup_cell(repository=None):
    text = SETUP.format(repository=repository or course.repository())
    return {"cell_type": "code", "execution_count": None, "id": "launch-setup",
            "metadata": {"tags": [course.SETUP_TAG]}, "outputs": [], "source": course.lines(text)}


def with_launch_cells(notebook, name, repository=None):
    """The notebook with its launch cells (old ones, if any, replaced); the input is not changed."""
    cells = [cell for cell in notebook["cells"]
             if not {course.BADGES_TAG, course.SETUP_TAG} & set(course.tags(cell))]
    first_code = next((k for k, cell in enumerate(cells) if cell["cell_type"] == "code"),
                      len(cells))
    cells = cells[:first_code] + [setup_cell(repository)] + cells[first_code:]
    return dict(notebook, cells=[badge_cell(name, repository)] + cells)


def update(path, repository=None):
    """Put the launch cells into the notebook at path; whether the file changed."""
    path = Path(path)
    before = path.read_text(encoding="utf-8")
    after = course.dumps(with_launch_cells(course.read(path), path.name, repository))
    if after != before:
        path.write_text(after, encoding="utf-8")
    return after != before


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or course.notebooks()
    changed = [path.name for path in paths if update(path)]
    print(f"launch cells: {len(changed)} of {len(paths)} notebooks changed {changed}")
