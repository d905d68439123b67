"""``CheckedParser``: an ``ArgumentParser`` that refuses a flag value its check breaks.

A flag's check is attached where the flag is defined (``gendd.validation.checked``, or a method
flag's registry entry); after parsing, the first value a check refuses is a ``UserError``
(``main_guard``: one ``error:`` line, exit 2), raised before the script builds or writes anything.
"""
from __future__ import annotations

import argparse

from ..validation import first_invalid_flag
from .guard import UserError


class CheckedParser(argparse.ArgumentParser):
    def parse_known_args(self, args=None, namespace=None):
        parsed, extra = super().parse_known_args(args, namespace)
        problem = first_invalid_flag(self, parsed)
        if problem:
            raise UserError(problem)
        return parsed, extra
