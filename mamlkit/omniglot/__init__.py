"""Few-shot classification on Omniglot: the data, the models, the methods.

``load(method)`` gives a shipped (θ, info); ``predict(method, θ, (xs, ys), xq)`` plays a task.
"""
from . import data, methods, models
from .methods import METHODS, SETTINGS, load, predict

__all__ = ["data", "models", "methods", "METHODS", "SETTINGS", "load", "predict"]
