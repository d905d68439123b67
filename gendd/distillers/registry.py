"""Name registry of distillers: ``@register("kd")`` on a class, ``build("kd", ...)`` to make one."""
from __future__ import annotations

from typing import Callable

_REGISTRY: dict[str, type] = {}


def register(name: str) -> Callable[[type], type]:
    def add(cls: type) -> type:
        if name in _REGISTRY:
            raise ValueError(f"distiller name {name!r} is registered twice ({_REGISTRY[name].__name__}, {cls.__name__})")
        _REGISTRY[name] = cls
        return cls
    return add


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> type:
    if name not in _REGISTRY:
        raise KeyError(f"unknown distiller {name!r}; choose one of: {', '.join(names())}")
    return _REGISTRY[name]


def build(name: str, *args, **kwargs):
    return get(name)(*args, **kwargs)
