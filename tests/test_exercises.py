"""``exercises.check("name", answer)``, the self-check under every exercise: what a learner sees
for each kind of answer. The references live in mamlkit.exercises; these tests register their own."""
import json
import pathlib

import numpy as np
import pytest

from mamlkit import exercises as module
from mamlkit.exercises import ANSWERS, check


@pytest.fixture
def ex(monkeypatch):
    """Register a made-up exercise "ex" with the given reference and tolerances."""
    def register(value, **tolerances):
        monkeypatch.setitem(ANSWERS, "ex", {"value": value, **tolerances})
    return register


@pytest.mark.parametrize("answer", [..., None])
def test_an_exercise_not_done_yet_gets_a_nudge(answer, ex, capsys):
    ex(1.0)
    assert check("ex", answer) is False
    assert "not done yet" in capsys.readouterr().out


def test_a_right_answer_within_the_tolerances(ex, capsys):
    ex(np.array([1.0, 2.0]))
    assert check("ex", [1.0 + 1e-8, 2.0]) is True
    assert capsys.readouterr().out == "[ex] correct.\n"
    ex(1.0, rtol=1e-2)
    assert check("ex", 1.0 + 1e-3) is True


def test_a_wrong_answer_says_how_many_entries_are_off_but_not_by_how_much(ex, capsys):
    ex([1.0, 2.0])
    assert check("ex", [1.0, 2.5]) is False
    out = capsys.readouterr().out
    assert "1 of 2 entries are off" in out and "0.5" not in out
    ex(51.0)
    assert check("ex", 0.0) is False
    assert "51" not in capsys.readouterr().out  # a wrong try at a number does not reveal it
    ex(1.0)
    assert check("ex", np.nan) is False


def test_a_wrong_shape_says_both_shapes(ex, capsys):
    ex(np.ones(2))
    assert check("ex", np.ones((2, 1))) is False
    assert "shape (2, 1), expected (2,)" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [lambda x: x, "half", [[1.0], [1.0, 2.0]]])
def test_an_answer_that_is_not_numbers_is_told_so(answer, ex, capsys):
    ex(0.5)
    assert check("ex", answer) is False
    assert "expected a number or an array of numbers" in capsys.readouterr().out


def square(x):
    return x * x


@pytest.fixture
def exercises(monkeypatch):
    """Two made-up exercises, a number and a function, registered for the test only."""
    monkeypatch.setitem(module.ANSWERS, "a number", {"value": lambda: 2.0 ** 0.5, "rtol": 1e-8})
    monkeypatch.setitem(module.ANSWERS, "a function", {"function": square, "cases": [(2.0,), (-3.0,)]})
    return module


def test_check_by_name_compares_with_the_reference_kept_in_the_package(exercises, capsys):
    assert exercises.check("a number", np.sqrt(2.0)) is True
    assert exercises.check("a number", 1.41) is False
    assert "not quite" in capsys.readouterr().out


def test_a_function_exercise_runs_the_learners_function_on_every_case(exercises, capsys):
    assert exercises.check("a function", lambda x: x ** 2) is True
    assert exercises.check("a function", lambda x: abs(x) * 2) is False  # right at 2, wrong at -3


def test_a_stub_that_raises_not_implemented_is_not_done_yet(exercises, capsys):
    def stub(x):
        raise NotImplementedError
    assert exercises.check("a function", stub) is False
    assert "not done yet" in capsys.readouterr().out


def test_a_function_that_fails_is_told_what_it_raised(exercises, capsys):
    assert exercises.check("a function", lambda x: x.nope) is False
    assert "AttributeError" in capsys.readouterr().out


def test_an_unknown_exercise_name_is_an_error_naming_the_known_ones(exercises):
    with pytest.raises(ValueError, match="name must be one of the exercises"):
        exercises.check("no such exercise", 1.0)


def test_every_reference_answer_is_used_by_a_notebook():
    notebooks = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
    text = "".join(path.read_text() for path in notebooks.glob("*.ipynb"))
    unused = [name for name in ANSWERS if json.dumps(name)[1:-1] not in text]
    assert not unused, unused


def test_a_function_exercise_compares_case_by_case(monkeypatch, capsys):
    """Cases may return arrays of different shapes; a wrong case is named."""
    monkeypatch.setitem(ANSWERS, "ones", {"function": np.ones, "cases": [(2,), (3,)]})
    assert check("ones", np.ones) is True
    assert check("ones", lambda n: np.ones(n) * (n < 3)) is False
    assert "for case 2 of 2" in capsys.readouterr().out
