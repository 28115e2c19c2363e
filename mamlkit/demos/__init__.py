"""The course's interactive demos: each is a plain function of the slider values that redraws a figure.

A demo is built from a ``draw(**values)`` callback and a dict of ipywidgets controls (see ``base.Demo``); the
notebooks display it, the tests call ``demo.update(...)`` over each control's range without a browser.
Every module here lists its demo builders in a module-level dict ``DEMOS = {name: builder}``; ``all_demos()``
collects them, so the widget sweep test and the responsiveness benchmark cover every demo automatically.
"""
import importlib
import pkgutil

from .base import Demo


def all_demos():
    """{name: builder} over every demo module in this package; each builder() returns a fresh Demo."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.update(getattr(module, "DEMOS", {}))
    return found


__all__ = ["Demo", "all_demos"]
