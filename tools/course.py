"""What the teaching-kit tools share: where the course's notebooks are, how a notebook is read and
written (the course's own format: json with indent 1, UTF-8 kept, a trailing newline, so that a
notebook written twice from the same input is the same bytes), and the repository's address.
"""
import json
import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 has no tomllib; pip (always in the venv) vendors it
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
# The cells that tools/launch_cell.py puts into every notebook, known by these tags.
BADGES_TAG = "launch-badges"
SETUP_TAG = "launch-setup"


def notebooks(folder=NOTEBOOKS):
    """The course's notebooks in folder, lessons (00_…) then appendices (A1_…), in name order."""
    return sorted(Path(folder).glob("*.ipynb"))


def read(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def dumps(notebook):
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def write(path, notebook):
    Path(path).write_text(dumps(notebook), encoding="utf-8")


def source(cell):
    """A cell's source as one string (a notebook stores it as a list of lines or as a string)."""
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def lines(text):
    """A source string as nbformat stores it on disk: a list of lines, each but the last ending
    in a newline."""
    return text.splitlines(keepends=True)


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def repository():
    """The repository's web address, from pyproject.toml's [project.urls] Repository: the one place
    to change it (the README's badges are checked against it)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["urls"]["Repository"].rstrip("/")


def github_path(url):
    """'owner/name' of a https://github.com/owner/name address."""
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?", url)
    if not match:
        raise ValueError("the repository URL must be https://github.com/<owner>/<name>, "
                         f"got {url!r}")
    return match.group(1)
