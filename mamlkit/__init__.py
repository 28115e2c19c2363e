"""mamlkit: the maths of gradient-based meta-learning (MAML, FOMAML, Reptile, iMAML) in plain autograd + numpy.

θ is always a flat 1-D float64 vector; a loss is ``loss(theta, data) -> scalar``; a task is ``Task(train, test)``.
"""
from . import evaluate, landscape, models, published, tasks, zoo
from .curvature import GaussNewtonSplit, MetaGradientComparison, compare_meta_gradients, gauss_newton_split
from .inner import adapt, adaptation_jacobian, hessian, hvp, inner_path
from .meta import (
    METHODS,
    NotPositiveDefiniteError,
    conjugate_gradient,
    fomaml_grad,
    imaml_grad,
    maml_grad,
    meta_gradient,
    meta_value_and_gradient,
    pretrain_grad,
    proximal_adapt,
    reptile_grad,
)
from .tasks import Task
from .train import DivergenceError, History, meta_train

__all__ = [
    "evaluate", "landscape", "models", "published", "tasks", "zoo", "Task",
    "adapt", "inner_path", "adaptation_jacobian", "hessian", "hvp",
    "pretrain_grad", "maml_grad", "fomaml_grad", "reptile_grad", "imaml_grad", "proximal_adapt",
    "conjugate_gradient", "NotPositiveDefiniteError", "METHODS", "meta_gradient", "meta_value_and_gradient",
    "compare_meta_gradients", "MetaGradientComparison", "gauss_newton_split", "GaussNewtonSplit",
    "meta_train", "History", "DivergenceError",
]
