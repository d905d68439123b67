"""How a training script of either tree ends: ``main_guard`` turns the project's expected
failures into one clear line on stderr and a distinct exit code:

* 2  bad input (missing data, wrong or unreadable checkpoint, conflicting run folder, bad flag value);
* 3  training stopped after too many consecutive non-finite losses;
* 74 a checkpoint could not be written (full disk): the previous one is intact;
* 75 pre-empted (SIGTERM/SIGINT): a checkpoint was saved, run the same command to continue.
"""
from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from ..engine import NonFiniteLoss, Preempted, RunDirConflict
from ..engine.checkpoint import CheckpointWriteError
from ..engine.dist import shutdown
from ..engine.lock import release_run_dirs
from ..engine.signals import report_exit
from ..state_dicts import StateDictMismatch, UnreadableCheckpoint
from ..validation import BadInput

EXIT_BAD_INPUT, EXIT_NONFINITE, EXIT_WRITE_FAILED, EXIT_PREEMPTED = 2, 3, 74, 75


class UserError(RuntimeError):
    """A mistake in the command line or the files it names; the message says how to fix it."""


# (exception types, exit code, message prefix), checked in order.
EXPECTED_FAILURES = (
    ((Preempted,), EXIT_PREEMPTED, "pre-empted"),
    ((NonFiniteLoss,), EXIT_NONFINITE, "error"),
    ((CheckpointWriteError,), EXIT_WRITE_FAILED, "error"),
    ((UserError, RunDirConflict, StateDictMismatch, UnreadableCheckpoint, FileNotFoundError, BadInput),
     EXIT_BAD_INPUT, "error"),
)


def main_guard(main: Callable[[], object]) -> None:
    """Run ``main`` and map expected failures to one clear line on stderr and their exit code
    (the engine flag ``--debug`` adds the traceback); anything else propagates with its traceback.
    The exit code is reported for the launcher's agent (``report_exit``) and the run-folder locks
    this process holds are released on every way out."""
    try:
        main()
    except tuple(t for types, _, _ in EXPECTED_FAILURES for t in types) as err:
        code, prefix = next((code, prefix) for types, code, prefix in EXPECTED_FAILURES if isinstance(err, types))
        print(f"{prefix}: {err}", file=sys.stderr)
        report_exit(code)
        if "--debug" in sys.argv:
            traceback.print_exc()
        shutdown()
        sys.exit(code)
    finally:
        release_run_dirs()
    shutdown()
