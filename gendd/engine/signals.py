"""SIGTERM/SIGINT become a request to stop at the next step boundary (the trainer's per-step
flag all-reduce makes every rank agree)."""
from __future__ import annotations

import signal


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
