"""One writer per run folder.

``claim_run_dir`` takes an exclusive ``flock`` on ``<run>/.lock`` (rank 0 only: the other ranks
of a torchrun group write nothing to the folder) and writes the holder's pid and host into it.
A second copy of the same command, e.g. a requeued job next to a straggler, is refused with
``RunDirInUse`` (exit 2) on every rank instead of racing the first on checkpoint pruning and
metrics. The kernel drops the lock when its process ends in any way, SIGKILL included, so a
lock file left by a dead process is stale and simply taken over; on a clean exit the file is
removed (``release_run_dirs``). On network file systems this relies on their lock support
(NFSv4 and Lustre with ``flock`` mounts honour it across hosts).
"""
from __future__ import annotations

import fcntl
import os
import socket
import time

from ..validation import BadInput
from .dist import broadcast_object
from .rundir import RunDirConflict

LOCK_NAME = ".lock"
_HELD: dict[str, int] = {}   # lock path -> open descriptor holding the flock


class RunDirInUse(RunDirConflict):
    """Another live process writes to this run folder."""


def _holder(path: str) -> str:
    try:
        with open(path) as fh:
            text = fh.read().split()
    except OSError:
        text = []
    return f"pid {text[0]} on host {text[1]}" if len(text) >= 2 else "another process"


def _open(run_dir: str, path: str) -> int:
    try:
        os.makedirs(run_dir, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as err:
        raise BadInput(f"cannot write the run folder {run_dir!r} ({err.strerror}): choose a writable --save_dir") \
            from err


def _acquire(run_dir: str) -> str | None:
    """Lock ``<run_dir>/.lock``; None on success, else the refusal message."""
    path = os.path.join(run_dir, LOCK_NAME)
    if path in _HELD:
        return None
    while True:
        fd = _open(run_dir, path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return (f"run folder {run_dir!r} is in use by {_holder(path)}; two copies of one run would race on its "
                    f"checkpoints. Wait for that process to end (or stop it), then run the same command again "
                    f"to continue, or choose another --trial/--save_dir")
        try:
            same_file = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same_file = False
        if same_file:   # not a file its previous holder removed while we opened it
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()} {socket.gethostname()} {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n".encode())
    _HELD[path] = fd
    return None


def claim_run_dir(run_dir: str, is_main: bool = True) -> None:
    """Make this process (rank 0 of its group) the only writer of ``run_dir``; every rank raises
    ``RunDirInUse`` when another live process holds it."""
    refusal = broadcast_object(_acquire(run_dir) if is_main else None)
    if refusal:
        raise RunDirInUse(refusal)


def release_run_dirs() -> None:
    """Remove and unlock every run-folder lock this process holds."""
    for path, fd in list(_HELD.items()):
        try:
            os.remove(path)
        except OSError:
            pass
        os.close(fd)
        del _HELD[path]
