"""Name registry of distillers: each method declares its name, its family, its command-line
flags and how it builds itself from them.

``@register("kd", family="baseline", label="KD", flags=(Flag("kd_T", "...", param="temperature"), ...))``
on a class; ``build("kd", student, teacher, **kwargs)`` makes one from keywords,
``get("kd").build(student, teacher, settings)`` from the typed settings of the command line.

A flag's only default is the constructor's default of its keyword (``inspect.signature``), so
the command line, the Python API and the settings agree. A flag's ``check``
(``gendd.validation.Check``) is its one rule: the command line refuses a value it breaks before
a run starts, and the constructor refuses the same values (``require_valid(FLAGS, keyword=value)``).
Methods may share a flag (``--kd_T`` feeds the temperature of KD, DKD and IKL-KD) when they give
it the same default, help and check.
"""
from __future__ import annotations

import argparse
import dataclasses
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..validation import Check, checked

FAMILIES = ("student", "baseline", "gendd", "stage1")


@dataclass(frozen=True)
class Flag:
    """``--<name>`` on the command line, the constructor keyword ``param`` (default: ``name``), the
    rule its values must keep (None: any value of its type)."""
    name: str
    help: str
    param: str = ""
    check: Check | None = None

    @property
    def keyword(self) -> str:
        return self.param or self.name


@dataclass(frozen=True)
class Method:
    name: str
    cls: type
    family: str
    label: str
    flags: tuple[Flag, ...]

    def defaults(self) -> dict[str, object]:
        """Flag name -> the constructor's default of its keyword (the nearest class in the MRO
        whose ``__init__`` names it)."""
        return {f.name: _default(self.cls, f.keyword) for f in self.flags}

    def settings_type(self) -> type:
        """A frozen dataclass with one typed field per flag (its default the constructor's), made
        once per method."""
        if self.name not in _SETTINGS_TYPES:
            fields = [(name, type(default), dataclasses.field(default=default))
                      for name, default in self.defaults().items()]
            _SETTINGS_TYPES[self.name] = dataclasses.make_dataclass(f"{self.cls.__name__}Settings", fields,
                                                                    frozen=True)
        return _SETTINGS_TYPES[self.name]

    def settings(self, args: argparse.Namespace):
        """The method's settings read from the parsed command line, once."""
        return self.settings_type()(**{f.name: getattr(args, f.name) for f in self.flags})

    def build(self, student, teacher=None, settings=None, **extra):
        """The distiller from its settings (default: the constructor's defaults) and ``extra`` keywords."""
        values = dataclasses.asdict(settings) if settings is not None else self.defaults()
        kwargs = {f.keyword: values[f.name] for f in self.flags}
        return self.cls(student, teacher, **kwargs, **extra)


def _default(cls: type, keyword: str) -> object:
    for klass in cls.__mro__:
        param = inspect.signature(klass.__init__).parameters.get(keyword) if "__init__" in vars(klass) else None
        if param is not None and param.default is not inspect.Parameter.empty:
            if param.default is True:
                raise ValueError(f"{cls.__name__}: flag {keyword!r} defaults to True; a command-line switch "
                                 f"must default to off")
            return param.default
    raise ValueError(f"{cls.__name__} has no keyword {keyword!r} with a default for its flag")


def check_defaults(method: Method) -> None:
    """Every flag names a constructor keyword with a default, and the default keeps the flag's check."""
    for flag, default in zip(method.flags, method.defaults().values()):
        if flag.check is not None and not flag.check.ok(default):
            raise ValueError(f"{method.cls.__name__}: the default {default!r} of flag --{flag.name} breaks its "
                             f"own check ({flag.check.requirement})")


_REGISTRY: dict[str, Method] = {}
_SETTINGS_TYPES: dict[str, type] = {}


def register(name: str, *, family: str = "student", label: str = "", flags: Iterable[Flag] = ()) -> Callable:
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r} for distiller {name!r}; choose one of {FAMILIES}")

    def add(cls: type) -> type:
        if name in _REGISTRY:
            raise ValueError(f"distiller name {name!r} is registered twice ({_REGISTRY[name].cls.__name__}, "
                             f"{cls.__name__})")
        method = Method(name, cls, family, label or name, tuple(flags))
        check_defaults(method)
        _REGISTRY[name] = method
        return cls
    return add


def require_valid(flags: Iterable[Flag], **values) -> None:
    """A ValueError for the first keyword value its flag's check refuses (``values``: constructor keyword ->
    value): what a constructor calls, so that it refuses what the command line refuses."""
    by_keyword = {f.keyword: f for f in flags}
    for keyword, value in values.items():
        check = by_keyword[keyword].check
        if check is not None:
            check.require(value, keyword)


def names(family: str | None = None) -> list[str]:
    """Registered names, of one family if given, sorted."""
    return sorted(n for n, m in _REGISTRY.items() if family is None or m.family == family)


def get(name: str) -> Method:
    if name not in _REGISTRY:
        raise KeyError(f"unknown distiller {name!r}; choose one of: {', '.join(names())}")
    return _REGISTRY[name]


def build(name: str, *args, **kwargs):
    return get(name).cls(*args, **kwargs)


def add_method_args(parser, methods: Iterable[str]) -> None:
    """The flags of ``methods`` on ``parser`` (a parser or group), each once, with their checks; a
    flag shared by two methods must have one default, one help and one check."""
    seen: dict[str, tuple[object, str]] = {}
    for name in methods:
        method = get(name)
        for flag, default in zip(method.flags, method.defaults().values()):
            if flag.name in seen:
                if seen[flag.name] != (default, flag.help, flag.check):
                    raise ValueError(f"flag --{flag.name} of {name!r} differs from another method's "
                                     f"({seen[flag.name][:2]} vs {(default, flag.help)}, or its check)")
                continue
            seen[flag.name] = (default, flag.help, flag.check)
            if isinstance(default, bool):
                parser.add_argument(f"--{flag.name}", action="store_true", default=default, help=flag.help)
            else:
                action = parser.add_argument(f"--{flag.name}", type=type(default), default=default, help=flag.help)
                if flag.check is not None:
                    checked(action, flag.check)
