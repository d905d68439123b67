"""How a training script of either tree ends: ``main_guard`` turns the project's expected
failures into one clear line on stderr and a distinct exit code:

* 2  bad input (missing data, wrong or unreadable checkpoint, conflicting run folder, bad flag value);
* 3  training stopped after too many consecutive non-finite losses;
* 74 a checkpoint or a log row could not be written (full disk): the previous checkpoint is intact
  and the logs end at their last whole row;
* 75 pre-empted (SIGTERM/SIGINT): a checkpoint was saved (or nothing was left to save: the
  message says which), run the same command to continue.
"""
from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from ..engine import NonFiniteLoss, Preempted, RunDirConflict
from ..engine.checkpoint import CheckpointWriteError
from ..engine.dist import is_distributed, shutdown
from ..engine.lock import release_run_dirs
from ..engine.logger import LogWriteError
from ..engine.signals import RaiseOnStop, StopSignal, report_exit
from ..state_dicts import StateDictMismatch, UnreadableCheckpoint
from ..validation import BadInput

EXIT_BAD_INPUT, EXIT_NONFINITE, EXIT_WRITE_FAILED, EXIT_PREEMPTED = 2, 3, 74, 75


class UserError(RuntimeError):
    """A mistake in the command line or the files it names; the message says how to fix it."""


# What gloo and NCCL say in a collective when a peer process has died: this process then ends
# with one line and exit 1 (its peer's own line and code tell the cause; see gendd.engine.agent).
PEER_LOST = ("Connection closed by peer", "Connection reset by peer", "remote process exited",
             "communicator was aborted")

# (exception types, exit code, message prefix), checked in order.
EXPECTED_FAILURES = (
    ((Preempted, StopSignal), EXIT_PREEMPTED, "pre-empted"),
    ((NonFiniteLoss,), EXIT_NONFINITE, "error"),
    ((CheckpointWriteError, LogWriteError), EXIT_WRITE_FAILED, "error"),
    ((UserError, RunDirConflict, StateDictMismatch, UnreadableCheckpoint, FileNotFoundError, BadInput),
     EXIT_BAD_INPUT, "error"),
)


def main_guard(main: Callable[[], object]) -> None:
    """Run ``main`` and map expected failures to one clear line on stderr and their exit code
    (the engine flag ``--debug`` adds the traceback); anything else propagates with its traceback.
    The exit code is reported for the launcher's agent (``report_exit``) and the run-folder locks
    this process holds are released on every way out."""
    try:
        with RaiseOnStop():
            main()
    except tuple(t for types, _, _ in EXPECTED_FAILURES for t in types) as err:
        code, prefix = next((code, prefix) for types, code, prefix in EXPECTED_FAILURES if isinstance(err, types))
        _stop(code, f"{prefix}: {err}")
    except RuntimeError as err:
        said = next((words for words in PEER_LOST if words in str(err)), None)
        if not (said and is_distributed()):
            raise
        _stop(1, f"error: a peer process of this run ended ({type(err).__name__}: {said}), so this one stops too; "
                 f"the peer's own message says why", leave_group=False)   # a broken group may hang in shutdown
    finally:
        release_run_dirs()
    shutdown()


def _stop(code: int, line: str, leave_group: bool = True) -> None:
    """Print ``line``, report ``code`` to the launcher's agent and exit with it."""
    print(line, file=sys.stderr)
    report_exit(code)
    if "--debug" in sys.argv:
        traceback.print_exc()
    if leave_group:
        shutdown()
    sys.exit(code)
