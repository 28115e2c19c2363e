"""The course's interactive demos: each is a plain function of the slider values that redraws a figure.

A demo is built from a ``draw(**values)`` callback and a dict of ipywidgets controls (see ``base.Demo``); the
notebooks display it, the tests call ``demo.update(...)`` over each control's range without a browser.
"""
from .base import Demo

__all__ = ["Demo"]
