"""``exercises.check``, the self-check under every exercise: what a learner sees for each kind of
answer."""
import numpy as np
import pytest

from mamlkit.exercises import check


@pytest.mark.parametrize("answer", [..., None])
def test_an_exercise_not_done_yet_gets_a_nudge(answer, capsys):
    assert check("ex", answer, 1.0) is False
    assert "not done yet" in capsys.readouterr().out


def test_a_right_answer_within_the_tolerances(capsys):
    assert check("ex", [1.0 + 1e-8, 2.0], np.array([1.0, 2.0])) is True
    assert capsys.readouterr().out == "[ex] correct.\n"
    assert check("ex", 1.0 + 1e-3, 1.0, rtol=1e-2) is True


def test_a_wrong_answer_says_by_how_much(capsys):
    assert check("ex", [1.0, 2.5], [1.0, 2.0]) is False
    assert "largest difference 0.5" in capsys.readouterr().out
    assert check("ex", np.nan, 1.0) is False


def test_a_wrong_shape_says_both_shapes(capsys):
    assert check("ex", np.ones((2, 1)), np.ones(2)) is False
    assert "shape (2, 1), expected (2,)" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [lambda x: x, "half", [[1.0], [1.0, 2.0]]])
def test_an_answer_that_is_not_numbers_is_told_so(answer, capsys):
    assert check("ex", answer, 0.5) is False
    assert "expected a number or an array of numbers" in capsys.readouterr().out
