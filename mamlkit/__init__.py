"""mamlkit: gradient-based meta-learning (MAML, FOMAML, Reptile, iMAML) in plain autograd and numpy.

θ is a flat float64 vector, a loss is ``loss(theta, data) -> scalar``, a task ``Task(train, test)``.
"""
from . import evaluate, landscape, models, tasks, zoo
from .curvature import compare_meta_gradients, gauss_newton_meta_grad, gauss_newton_split
from .inner import adapt, adaptation_jacobian, hessian, hvp, inner_loop, inner_path, proximal_adapt
from .meta import (METHODS, NotPositiveDefiniteError, conjugate_gradient, fomaml_grad, imaml_grad,
                   maml_grad, meta_gradient, meta_value_and_gradient, pretrain_grad, reptile_grad)
from .tasks import Task
from .train import DivergenceError, History, meta_train

__all__ = [
    "Task", "adapt", "inner_loop", "inner_path", "proximal_adapt", "adaptation_jacobian", "hessian",
    "hvp", "pretrain_grad", "maml_grad", "fomaml_grad", "reptile_grad", "imaml_grad",
    "conjugate_gradient", "NotPositiveDefiniteError", "METHODS", "meta_gradient",
    "meta_value_and_gradient", "meta_train", "History", "DivergenceError", "compare_meta_gradients",
    "gauss_newton_split", "gauss_newton_meta_grad", "evaluate", "landscape", "models", "tasks",
    "zoo",
]
