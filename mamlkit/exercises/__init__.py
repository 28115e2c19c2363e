"""Self-checking exercises: ``check("name", answer)`` compares a learner's answer with the reference
kept here under that name, so that nothing on the learner's screen gives the answer away.

Each lesson's references are in its own module (``lesson00`` …), as a dict ``ANSWERS``: name → a
dict with either ``value`` (a number or array, or a function of no arguments computing one) or,
for an exercise that writes a function, ``function`` (the reference) and ``cases`` (argument tuples
the learner's function must agree on); ``rtol`` and ``atol`` are optional.
"""
import numpy as np

from . import lesson00, lesson01, lesson02, lesson03, lesson04, lesson05, lesson06, lesson07

LESSONS = (lesson00, lesson01, lesson02, lesson03, lesson04, lesson05, lesson06, lesson07)
ANSWERS = {name: entry for lesson in LESSONS for name, entry in lesson.ANSWERS.items()}


def reference(name):
    """The reference answer of exercise ``name`` (for a function exercise: its value per case)."""
    if name not in ANSWERS:
        raise ValueError(f"name must be one of the exercises {sorted(ANSWERS)}, got {name!r}")
    entry = ANSWERS[name]
    if "function" in entry:
        return [entry["function"](*case) for case in entry["cases"]]
    return entry["value"]() if callable(entry["value"]) else entry["value"]


def check(name, answer):
    """Print whether ``answer`` matches the reference of exercise ``name``; return True or False.

    An answer still ``...`` or None, or a function that raises NotImplementedError, gets a nudge
    instead of an error, so that the notebook keeps running from top to bottom.
    """
    expected, entry = reference(name), ANSWERS[name]
    if answer is ... or answer is None:
        print(f"[{name}] not done yet: replace the ... with your code, then re-run this cell.")
        return False
    if "function" in entry:
        if not callable(answer):
            print(f"[{name}] expected a function, got {type(answer).__name__}.")
            return False
        try:
            answer = [answer(*case) for case in entry["cases"]]
        except NotImplementedError:
            print(f"[{name}] not done yet: complete the function, then re-run this cell.")
            return False
        except Exception as err:  # noqa: BLE001 - the learner's code: say what went wrong
            print(f"[{name}] your function raised {type(err).__name__}: {err}")
            return False
    tolerances = {"rtol": entry.get("rtol", 1e-6), "atol": entry.get("atol", 1e-9)}
    pairs = zip(answer, expected) if "function" in entry else [(answer, expected)]
    for case, (mine, reference_value) in enumerate(pairs):
        where = f" for case {case + 1} of {len(entry['cases'])}" if "function" in entry else ""
        if not agrees(name, mine, reference_value, where, tolerances):
            return False
    print(f"[{name}] correct.")
    return True


def agrees(name, answer, expected, where, tolerances):
    """Whether one answer equals one reference; if not, print how it differs."""
    try:
        answer, expected = np.asarray(answer, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):  # a function, a word, a ragged list: say so, no traceback
        print(f"[{name}] expected a number or an array of numbers{where}, got "
              f"{type(answer).__name__}.")
        return False
    if answer.shape != expected.shape:
        print(f"[{name}] shape {answer.shape}{where}, expected {expected.shape}.")
        return False
    close = np.isclose(answer, expected, **tolerances)
    if not close.all():  # how many entries are off, never by how much: that would give the answer
        off = f": {close.size - close.sum()} of {close.size} entries are off" * (close.size > 1)
        print(f"[{name}] not quite{where}{off}.")
        return False
    return True
