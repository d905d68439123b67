"""Distillers, chosen by name: ``gendd.distillers.build(name, student, teacher, ...)``.

Importing this package registers every method; see ``base.Distiller`` for the contract.
"""
from .base import Distiller
from .registry import build, get, names, register
from . import dkd  # noqa: F401  (registers "dkd")
from . import gendd  # noqa: F401  (registers "gendd")
from . import gendd_pretrain  # noqa: F401  (registers "gendd_pretrain")
from . import ikl  # noqa: F401  (registers "ikl")
from . import kd  # noqa: F401  (registers "kd")
from . import vanilla  # noqa: F401  (registers "vanilla")

__all__ = ["Distiller", "build", "get", "names", "register"]
