"""The two-command setup: conda and pip name the same packages, and make/CI have the entry points
the README promises."""
import fnmatch
import os
import pathlib
import re

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 has no tomllib; pip (always in the venv) vendors it
    from pip._vendor import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:>=\s*([^,;\s]+))?")


def lower_bounds(requirements):
    """{normalised name: lower bound or None} for requirement strings such as 'numpy>=1.24'."""
    bounds = {}
    for requirement in requirements:
        name, bound = REQUIREMENT.match(requirement).groups()
        bounds[re.sub(r"[-_.]+", "-", name).lower()] = bound
    return bounds


def pip_packages():
    """Runtime dependencies and the test extra of pyproject.toml (other extras, such as benchmarks,
    are optional)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return lower_bounds(project["dependencies"] + project["optional-dependencies"]["test"])


def conda_environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


CONDA_NAMES = {"playwright-python": "playwright"}  # conda-forge's name: the PyPI name


def test_environment_yml_and_pyproject_name_the_same_packages_and_bounds():
    dependencies = conda_environment()["dependencies"]
    conda = {CONDA_NAMES.get(name, name): bound
             for name, bound in lower_bounds(d for d in dependencies if isinstance(d, str)).items()}
    # what conda-forge lacks comes from PyPI in environment.yml's pip section (mamlkit itself aside)
    pip_section = [entry for d in dependencies if isinstance(d, dict) for entry in d.get("pip", [])]
    conda.update(lower_bounds(entry for entry in pip_section if not entry.startswith("-")))
    conda.pop("python"), conda.pop("pip")
    pip = pip_packages()
    assert {"numpy", "autograd", "matplotlib", "ipywidgets", "jupyterlab", "tqdm", "pytest",
            "nbval"} <= set(pip)
    assert conda == pip
    assert all(bound is not None for bound in pip.values()), pip


def test_environment_yml_installs_mamlkit_itself_editable_from_conda_forge():
    environment = conda_environment()
    assert "conda-forge" in environment["channels"]
    pip_section = [d["pip"] for d in environment["dependencies"]
                   if isinstance(d, dict) and "pip" in d]
    assert pip_section and "-e ." in pip_section[0]


def test_autograd_bound_works_with_numpy_2():
    assert tuple(int(p) for p in pip_packages()["autograd"].split(".")[:2]) >= (1, 7)


def test_makefile_has_lab_and_test_and_ci_runs_make_test():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lab", "test"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), \
            f"Makefile has no '{target}' target"
    ci = ROOT / ".ci" / "run"
    commands = [line.strip() for line in ci.read_text().splitlines()
                if not line.strip().startswith("#")]
    assert "make test" in commands
    assert os.access(ci, os.X_OK)


def test_a_built_package_holds_every_subpackage():
    """pip install . (not -e) and a wheel ship what the build finds: mamlkit.demos included,
    benchmarks/ not.

    setuptools' find matches each package's dotted name against the include patterns with fnmatch;
    the test does the same rather than import setuptools, which a Python 3.12 venv does not have.
    """
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    include = tool["setuptools"]["packages"]["find"]["include"]

    def dotted(init):
        return str(init.parent.relative_to(ROOT)).replace(os.sep, ".")

    folders = [d for d in ROOT.iterdir() if d.is_dir() and not d.name.startswith(".")]  # no .venv
    packages = {dotted(p) for d in folders for p in d.rglob("__init__.py")}
    found = {name for name in packages
             if any(fnmatch.fnmatchcase(name, pattern) for pattern in include)}
    on_disk = {dotted(p) for p in (ROOT / "mamlkit").rglob("__init__.py")}
    assert found == on_disk and "mamlkit.demos" in found
