"""SIGTERM/SIGINT become a request to stop at the next step boundary (the trainer's per-step
flag all-reduce makes every rank agree), and the pieces that carry a pre-emption through the
launchers: dying with the parent, and reporting each rank's exit code to torchrun's wrapper.

Outside the training steps (before training, or in the evaluation after it) a script under
``gendd.cli.main_guard`` turns the signal into ``StopSignal``, which says what the run had
done (``set_phase``) and ends it with exit 75 like a pre-emption inside training."""
from __future__ import annotations

import ctypes
import os
import signal
import sys


class StopRequests:
    """Context manager: while active, SIGTERM and SIGINT set a flag instead of killing the process."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self):
        self.requested = False
        self._previous = {}

    def _handler(self, signum, frame):
        self.requested = True

    def __enter__(self):
        for sig in self.SIGNALS:
            try:
                self._previous[sig] = signal.signal(sig, self._handler)
            except ValueError:  # not the main thread: signals cannot be caught here
                pass
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        return False


class StopSignal(BaseException):
    """SIGTERM/SIGINT outside the training steps. A BaseException, as KeyboardInterrupt, so that
    no ``except Exception`` on the way mistakes it for a failure of the code it interrupted."""


PHASES = {
    "setup": "stop signal received before any training step: nothing to save",
    "training": "stop signal received outside the training steps (while the run was starting, or writing its "
                "result): nothing new to save since its last checkpoint",
    "after": "stop signal received during the evaluation after training: training had finished (final.pth is "
             "written) and is kept; the evaluation was not finished",
}
_phase = {"now": "setup"}


def set_phase(name: str) -> None:
    """What a ``StopSignal`` from now on reports: one of ``PHASES``."""
    _phase["now"] = name


class RaiseOnStop(StopRequests):
    """Context manager: while active (and no ``StopRequests`` inside it is), SIGTERM and SIGINT raise
    ``StopSignal`` with the phase's message. The phase starts at "setup"."""

    def __enter__(self):
        set_phase("setup")
        return super().__enter__()

    def _handler(self, signum, frame):
        raise StopSignal(f"{PHASES[_phase['now']]}; run the same command again to continue")


EXIT_DIR_VARIABLE = "GENDD_EXIT_DIR"          # set by gendd.engine.agent: where each rank reports its exit code
DIE_WITH_PARENT_VARIABLE = "GENDD_DIE_WITH_PARENT"   # set by sh/lib/launch.sh for the processes it starts
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Under the launchers (``GENDD_DIE_WITH_PARENT=1``), ask Linux to send this process SIGTERM
    when its parent (the launcher's shell, or torchrun's agent) dies, even by SIGKILL: it then
    checkpoints and exits 75 instead of training on as an orphan. Elsewhere (e.g. ``nohup
    python ...``) and on other systems, nothing changes."""
    if os.environ.get(DIE_WITH_PARENT_VARIABLE) != "1" or not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:   # the parent died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


def report_exit(code: int) -> None:
    """Leave this rank's exit code where torchrun's wrapper (``gendd.engine.agent``) looks for it."""
    folder = os.environ.get(EXIT_DIR_VARIABLE)
    if not folder:
        return
    try:
        with open(os.path.join(folder, f"rank{os.environ.get('LOCAL_RANK', '0')}"), "w") as fh:
            fh.write(str(code))
    except OSError:
        pass
