"""Reference answers of lesson 05's exercises (see mamlkit.exercises).

Every reference is computed by the library (``conjugate_gradient``, ``imaml_grad``) or from the
question's own data by a closed form, never typed in.
"""
import numpy as np

# The question of exercises 2 and 3: the Hessian at the end of an inner loop, and λ
H_EXAMPLE = np.array([[2.0, 1.0], [1.0, -1.0]])
LAM_EXAMPLE = 4.0


def _spd(d, seed, spread):
    """A symmetric positive definite d × d matrix with eigenvalues from 1 to ``spread``."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q @ np.diag(np.geomspace(1.0, spread, d)) @ q.T


def _cases():
    """(matvec, b, steps) triples on three positive definite 6 × 6 systems (one size, so that the
    answers stack into one array), with fewer steps than unknowns, where CG has not converged yet,
    and with 6 steps, where it has."""
    cases = []
    for k, spread in enumerate((3.0, 30.0, 300.0)):
        matrix, b = _spd(6, k, spread), np.random.default_rng(10 + k).normal(size=6)
        for steps in (1, 3, 6):
            cases.append((lambda v, matrix=matrix: matrix @ v, b, steps))
    return cases


def _cg(matvec, b, steps):
    from mamlkit import conjugate_gradient

    return conjugate_gradient(matvec, b, steps)


def _imaml_on_bump_task_1():
    from mamlkit import imaml_grad
    from mamlkit.demos.imaml import bump_tasks

    bump = bump_tasks()[0]
    return imaml_grad(bump.loss, np.array([0.45, 0.55]), bump.task, 0.05, 10, 3.0, cg_steps=5)


ANSWERS = {
    "CG by hand": {"function": _cg, "cases": _cases(), "rtol": 1e-8, "atol": 1e-10},
    "implicit Jacobian": {"value": lambda: np.linalg.inv(np.eye(2) + H_EXAMPLE / LAM_EXAMPLE)},
    "smallest safe lambda": {"value": lambda: -np.linalg.eigvalsh(H_EXAMPLE)[0]},
    "iMAML by a dense solve": {"value": _imaml_on_bump_task_1, "rtol": 1e-8, "atol": 1e-12},
}
