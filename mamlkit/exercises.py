"""Self-checking exercises: ``check`` compares a learner's answer with the reference."""
import numpy as np


def check(name, answer, expected, rtol=1e-6, atol=1e-9):
    """Print whether ``answer`` matches ``expected`` within rtol/atol, and return True or False.

    An answer that is still ``...`` or None (the exercise not yet done) gets a nudge instead of an
    error, so the notebook keeps running top to bottom.
    """
    if answer is ... or answer is None:
        print(f"[{name}] not done yet: replace the ... with your code, then re-run this cell.")
        return False
    try:
        answer = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):  # a function, a word, a ragged list: say so, no traceback
        print(f"[{name}] expected a number or an array of numbers, got {type(answer).__name__}.")
        return False
    expected = np.asarray(expected, dtype=float)
    if answer.shape != expected.shape:
        print(f"[{name}] shape {answer.shape}, expected {expected.shape}.")
        return False
    if not np.allclose(answer, expected, rtol=rtol, atol=atol):
        worst = np.max(np.abs(answer - expected))
        print(f"[{name}] not quite: largest difference {worst:.3g} from the expected value.")
        return False
    print(f"[{name}] correct.")
    return True
