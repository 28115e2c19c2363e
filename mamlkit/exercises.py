"""Self-checking exercises: ``check`` compares a learner's answer with the reference and says what is off."""
import numpy as onp

from .checks import check_nonnegative


def check(name, answer, expected, rtol=1e-6, atol=1e-9):
    """Print whether ``answer`` matches ``expected`` (arrays or numbers, within rtol/atol) and return True/False.

    An answer that is still ``...`` or None (the exercise not yet done) gets a nudge instead of an error, so the
    notebook keeps running top to bottom. The tolerances are the author's, so a bad one is an error.
    """
    rtol, atol = check_nonnegative(rtol, "rtol"), check_nonnegative(atol, "atol")
    if answer is ... or answer is None:
        print(f"[{name}] not done yet: replace the ... with your code, then re-run this cell.")
        return False
    try:
        answer = onp.asarray(answer, dtype=float)
    except (TypeError, ValueError):  # a function, a string, a ragged list: say so instead of a numpy traceback
        print(f"[{name}] expected a number or an array of numbers, got {type(answer).__name__}.")
        return False
    expected = onp.asarray(expected, dtype=float)
    if answer.shape != expected.shape:
        print(f"[{name}] shape {answer.shape}, expected {expected.shape}.")
        return False
    if not onp.allclose(answer, expected, rtol=rtol, atol=atol):
        worst = onp.max(onp.abs(answer - expected))
        print(f"[{name}] not quite: largest difference {worst:.3g} from the expected value.")
        return False
    print(f"[{name}] correct.")
    return True
