"""``--config <run>/config.yaml``: replay a run from the flags it recorded.

The file's values become the parser's defaults, so every flag given on the command line wins
over the file, wherever it stands (``--config run/config.yaml --epochs 10 --save_dir other``).
Flags the script marks required count as given when the file holds them. Besides flags, a
run's config.yaml holds what the run derived from them (``world_size``, ``batch_per_process``:
computed again) and the ``--config`` it was itself replayed from; both are skipped. A file
that cannot be read, is not a YAML mapping, names a key that is no flag of the script (e.g.
the config of another script), or holds a value the flag would refuse is a ``UserError``
(exit 2, one line naming the file and the key).
"""
from __future__ import annotations

import argparse
import sys

import yaml

from ..engine.layout import PROCESS_KEYS
from .checked_parser import CheckedParser
from .guard import UserError

SKIPPED_KEYS = PROCESS_KEYS | {"config"}


class ConfigFileParser(CheckedParser):
    """An ``ArgumentParser`` with ``--config FILE`` (see the module doc) that checks the flag values
    (``CheckedParser``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_argument("--config", default=None, metavar="RUN/config.yaml",
                          help="replay a run: its recorded flags as defaults; flags given here still win")

    def parse_known_args(self, args=None, namespace=None):
        argv = sys.argv[1:] if args is None else list(args)
        path = config_path(argv)
        if path is not None:
            self.set_defaults(**config_defaults(self, read_config(path), path))
        return super().parse_known_args(argv, namespace)


def config_path(argv: list[str]) -> str | None:
    """The value of --config in ``argv`` (None without one)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config", default=None)
    return pre.parse_known_args(argv)[0].config


def read_config(path: str) -> dict:
    """The mapping a config.yaml holds; a ``UserError`` when it is missing, unreadable or not a mapping."""
    try:
        with open(path) as fh:
            values = yaml.safe_load(fh)
    except OSError as err:
        raise UserError(f"--config {path!r} cannot be read ({err.strerror}): pass the config.yaml of a run "
                        f"folder") from err
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise UserError(f"--config {path!r} is not valid YAML ({str(err).splitlines()[0]}): the file is damaged; "
                        f"pass the config.yaml a run wrote") from err
    if not isinstance(values, dict):
        raise UserError(f"--config {path!r} holds a {type(values).__name__}, not the flags of a run")
    return values


def config_defaults(parser: argparse.ArgumentParser, values: dict, path: str) -> dict:
    """{destination: checked value} for every flag ``values`` sets; required flags it sets stop being required."""
    actions = {a.dest: a for a in parser._actions if a.option_strings}
    unknown = sorted(k for k in values if k not in actions and k not in SKIPPED_KEYS and k not in parser._defaults)
    if unknown:
        raise UserError(f"--config {path!r} sets {', '.join(unknown)}, which this script has no flag for: is it the "
                        f"config.yaml of another script? Pass a config this script wrote")
    defaults = {}
    for key, value in values.items():
        if key in SKIPPED_KEYS:
            continue
        if key not in actions:
            if value != parser.get_default(key):
                raise UserError(f"--config {path!r} has {key}: {value!r}, but this script runs {key} "
                                f"{parser.get_default(key)!r}: pass a config this script wrote")
            continue
        defaults[key] = checked_value(actions[key], value, path)
        actions[key].required = False
    return defaults


def checked_value(action: argparse.Action, value, path: str):
    """``value`` as the flag would take it from the command line; ``UserError`` when it would refuse it."""
    if value is None or (type(value) is type(action.default) and value == action.default):
        return value
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        value, problem = value, (None if isinstance(value, bool) else "true or false")
    else:
        value, problem = converted(action, value)
    if problem is None and action.choices is not None and value not in action.choices:
        problem = f"one of {', '.join(map(str, action.choices))}"
    if problem:
        raise UserError(f"--config {path!r} has {action.dest}: {value!r}, but --{action.dest} takes {problem}: "
                        f"correct the file or give the flag after --config")
    return value


def converted(action: argparse.Action, value) -> tuple[object, str | None]:
    """(the value in the flag's type, None) or (the value, what the flag takes): a number must convert
    without change (2.5 is no int), a flag without a type takes a string."""
    kind = action.type or str
    name = getattr(kind, "__name__", str(kind))
    if isinstance(value, bool) or (kind is str and not isinstance(value, str)):
        return value, f"a value of type {name}"
    try:
        result = kind(value)
    except (TypeError, ValueError):
        return value, f"a value of type {name}"
    if not isinstance(value, str) and result != value:
        return value, f"a value of type {name}"
    return result, None
