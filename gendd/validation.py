"""Flag values checked before anything is built or written.

A flag's check lives where the flag is defined: a method's flags carry theirs on their registry
entry (``gendd.distillers.registry.Flag(check=...)``, attached to the argument by
``add_method_args``), a script's own flags attach theirs to the argument with
``checked(parser.add_argument(...), at_least(1))``. ``first_invalid_flag(parser, args)`` walks the
parser's arguments and returns the message for the first value its check refuses (None when all
are fine); the training scripts' parser (``gendd.cli.config_file.ConfigFileParser``) turns it into
an exit-2 ``error:`` line before the run folder is created or its ``config.yaml`` touched. A
constructor keyword fed by a flag checks its value with the same ``Check`` (``Check.require``), so
the command line and the Python API refuse the same values.
"""
from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass

FLOAT32_MAX = 3.4028234663852886e38


class BadInput(ValueError):
    """Bad input found below the command line (an unknown model name, no CUDA device, an unreadable
    image, a label outside the class range, an unwritable folder): exit 2 with the message.
    Re-raised from a DataLoader worker, the message is cut back to the original line."""

    def __init__(self, message: str = ""):
        if "Original Traceback" in message:
            last = message.rstrip().splitlines()[-1]
            message = last.split(": ", 1)[1] if ": " in last else last
        super().__init__(message)


@dataclass(frozen=True)
class Check:
    """A value's rule: ``ok(value)`` says whether it holds, ``requirement`` says it in words
    ("must be a finite number of at least 1")."""
    ok: Callable[[object], bool]
    requirement: str

    def require(self, value, name: str) -> None:
        """A ValueError naming ``name``, the value and the requirement when ``value`` breaks the rule."""
        if not self.ok(value):
            raise ValueError(f"{name} {self.requirement}, got {value!r}")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def at_least(low) -> Check:
    return Check(lambda v: _number(v) and v >= low, f"must be a finite number of at least {low}")


def above(low) -> Check:
    return Check(lambda v: _number(v) and v > low, f"must be a finite number above {low}")


def within(low, high, *, high_open: bool = False, why: str = "") -> Check:
    closing = ")" if high_open else "]"
    return Check(lambda v: _number(v) and low <= v and (v < high if high_open else v <= high),
                 f"must lie in [{low}, {high}{closing}" + (f": {why}" if why else ""))


def finite() -> Check:
    return Check(_number, "must be a finite number")


POSITIVE = at_least(1)
NON_NEGATIVE = Check(lambda v: _number(v) and v >= 0, "must be a finite non-negative number (at least 0)")
LEARNING_RATE = Check(lambda v: _number(v) and 0 < v <= FLOAT32_MAX,
                      f"must be a finite number above 0 (at most {FLOAT32_MAX:.3g}: the optimisers work in float32)")


def checked(action: argparse.Action, check: Check) -> argparse.Action:
    """``action`` (what ``add_argument`` returned) with its value's ``check``."""
    action.check = check
    return action


def flag_checks(parser: argparse.ArgumentParser) -> dict[str, Check]:
    """{destination: check} of every argument of ``parser`` that has one."""
    return {a.dest: a.check for a in parser._actions if getattr(a, "check", None) is not None}


def first_invalid_flag(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The message for the first flag of ``parser`` whose value in ``args`` its check refuses, or None."""
    values = vars(args)
    for name, check in flag_checks(parser).items():
        if values.get(name) is not None and not check.ok(values[name]):
            return (f"--{name} {values[name]!r} is not a valid value: it {check.requirement}; "
                    f"correct it and run the same command again")
    return None
