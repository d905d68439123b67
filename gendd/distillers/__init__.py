"""Distillers, chosen by name: ``gendd.distillers.build(name, student, teacher, ...)``.

Importing this package registers every method; see ``base.Distiller`` for the contract.
"""
from .base import Distiller
from .registry import build, get, names, register

__all__ = ["Distiller", "build", "get", "names", "register"]
