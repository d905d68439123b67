"""Progress of a loop, for the people who read the logs.

On a terminal: a tqdm bar. In a file or a scheduler's log (the stream is no TTY), a bar would
fill the log with carriage returns, so :class:`LineProgress` prints one plain line each time
another ``every`` of the total is done (5 % by default) and one at the end, with the rate and
the time left, and never a ``\\r``. A loop that resumes at ``initial`` prints only the marks
still ahead of it; its rate counts the steps of this process only.
"""
from __future__ import annotations

import sys
import time

from tqdm import tqdm


def progress_meter(total: int, desc: str, initial: int = 0, enabled: bool = True, stream=None,
                   every: float = 0.05, clock=time.monotonic):
    """A tqdm bar when ``stream`` (default stdout) is a terminal, else a :class:`LineProgress`.
    Both count with ``update(n)`` and close as context managers; ``enabled=False`` prints nothing."""
    stream = sys.stdout if stream is None else stream
    if enabled and is_terminal(stream):
        return tqdm(total=total, initial=initial, desc=desc, dynamic_ncols=True, leave=False, file=stream)
    return LineProgress(total, desc, initial, stream if enabled else None, every, clock)


def is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class LineProgress:
    """Plain progress lines: ``<desc>: 45% (352/782), 12.3 it/s, elapsed 0:00:28, ETA 0:00:35``.

    Mark k (k = 1 … K, K = round(1/every)) is reached at step n when floor(n·K/total) ≥ k; one
    line is printed per update that reaches a new mark, so a loop of ``total`` steps from 0
    prints min(total, K) lines, the last at 100 %."""

    def __init__(self, total: int, desc: str, initial: int = 0, stream=None, every: float = 0.05,
                 clock=time.monotonic):
        if not 0 < every <= 1:
            raise ValueError(f"every must be in (0, 1], got {every}")
        self.total, self.desc, self.n = max(int(total), 0), desc, int(initial)
        self.stream, self.clock = stream, clock
        self.marks = max(1, round(1 / every))
        self.start_n, self.t0 = self.n, clock()
        self.last_mark = self._mark(self.n)

    def _mark(self, n: int) -> int:
        return n * self.marks // self.total if self.total else 0

    def update(self, n: int = 1) -> None:
        self.n += n
        mark = self._mark(self.n)
        if mark > self.last_mark:
            self.last_mark = mark
            self._write()

    def _write(self) -> None:
        if self.stream is None:
            return
        elapsed = self.clock() - self.t0
        done = self.n - self.start_n
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = clock_text((self.total - self.n) / rate) if rate > 0 else "?"
        line = (f"{self.desc}: {100 * self.n // self.total}% ({self.n}/{self.total}), {rate:.3g} it/s, "
                f"elapsed {clock_text(elapsed)}, ETA {eta}")
        self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Nothing to clear: every line is already complete."""

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def clock_text(seconds: float) -> str:
    """Seconds as H:MM:SS (hours unbounded)."""
    s = max(0, int(round(seconds)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
