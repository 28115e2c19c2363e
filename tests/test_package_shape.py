"""The package's shape, as issue 17 set it: small, acyclic, one inner loop, one numpy alias per kind."""
import ast
import pathlib
import re

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "mamlkit"
FILES = sorted(PACKAGE.rglob("*.py"))
WIDGETS = {"plotting.py", "checks.py", "zoo.py", "exercises.py"}  # plain numpy: nothing traced


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path):
    """The mamlkit modules that ``path`` imports (relative imports resolved)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            name = ".".join(part for part in (base, node.module) if part)
            found |= {f"{name}.{a.name}" for a in node.names} | {name}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    modules = {module_name(f) for f in FILES}
    return {name for name in found if name in modules and name != module_name(path)}


def test_the_maths_core_stays_small():
    """The maths modules (all but the widgets, the plotting style and the exercises) were 1,890 lines
    before the redesign and 1,173 after it: they may not grow back. (The widgets and plotting went
    from 1,383 to 945 lines; the lessons' figure helpers came after, in the widget modules.)"""
    core = [f for f in FILES if not {"demos", "exercises", "omniglot"} & set(f.parts)
            and f.name != "plotting.py"]
    lines = sum(len(f.read_text().splitlines()) for f in core)
    assert lines <= 1180, f"the maths core has {lines} lines"


def test_the_omniglot_package_stays_small():
    """Few-shot classification (issue 20: loader, classifier, ProtoNets, training) is a domain of
    its own on top of the core, 601 lines when it came: it may not grow past 610."""
    lines = sum(len(f.read_text().splitlines()) for f in FILES if "omniglot" in f.parts)
    assert lines <= 610, f"mamlkit/omniglot has {lines} lines"


def test_no_line_is_longer_than_100_characters():
    long = [f"{f.name}:{i}" for f in FILES for i, line in enumerate(f.read_text().splitlines(), 1)
            if len(line) > 100]
    assert not long, long


def test_no_module_imports_itself_through_others():
    graph = {module_name(f): imports(f) - {"mamlkit"} for f in FILES if f.name != "__init__.py"}

    def reaches(start, goal, seen=()):
        return any(n == goal or (n not in seen and reaches(n, goal, seen + (n,)))
                   for n in graph.get(start, ()))

    cycles = [name for name in graph if reaches(name, name)]
    assert not cycles, cycles


def test_one_numpy_alias_per_kind_of_module():
    for f in FILES:
        text = f.read_text()
        assert not re.search(r"import numpy as (onp|anp)|autograd\.numpy as (onp|anp)", text), f.name
        traced = not ({"demos", "exercises"} & set(f.parts)) and f.name not in WIDGETS
        if "import numpy as np" in text or "import autograd.numpy as np" in text:
            assert ("import autograd.numpy as np" in text) == traced, f.name


def test_the_inner_step_is_written_once():
    """φ − α ∇L(φ): only inner.py takes a gradient and steps with it (no other file steps φ by lr)."""
    step = re.compile(r"(phi|theta|φ)\w*\s*-\s*(lr|rate|alpha)\s*\*")
    places = [f.name for f in FILES if step.search(f.read_text())]
    assert places == ["inner.py"], places
