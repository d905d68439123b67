"""Distillers, chosen by name: ``gendd.distillers.build(name, student, teacher, ...)``.

Importing this package imports every module in it, and each method module registers itself
(``registry.register``): a new method is one new file here. See ``base.Distiller`` for the
contract.
"""
import importlib
import pkgutil

from .base import Distiller
from .registry import build, get, names, register

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["Distiller", "build", "get", "names", "register"]
