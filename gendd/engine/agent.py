"""``python -m gendd.engine.agent ARGS`` is torchrun (``python -m torch.distributed.run ARGS``)
whose ending says what happened, with the exit code of the process that found the problem.

Every local worker reports its exit code into a temporary folder (``GENDD_EXIT_DIR``, see
``gendd.cli.main_guard``). When torchrun ends, by a signal (it forwards SIGTERM/SIGINT to the
workers, then dies with a ``SignalException``) or because a worker failed, the agent decides
from those codes (a worker's reported code counts over its process's exit code, which a failing
shutdown after the report may have changed):

1. a documented failure, in this order: 2 (bad input), 3 (non-finite training), 74 (a write
   failed): the agent exits with it and one ``error:`` line naming the rank. The rank that found
   a bad input exits 2 while its peers die in the next collective with 1: a scheduler keyed on
   "2 = do not retry" sees 2;
2. every local worker exited 75 (each saved a checkpoint, or had nothing new to save): 75 with
   one ``pre-empted:`` line;
3. stopped by a signal otherwise: 1 with an ``error:`` line naming the workers that did not save;
4. any other failure: torchrun's own error report and exit 1.

The workers get ``TORCH_ELASTIC_SHUTDOWN_TIMEOUT`` seconds (default here 300, torchrun's own is
30) to finish their step and write the checkpoint before torchrun kills them. Like the workers,
the agent dies with its parent (the launcher's shell) when ``GENDD_DIE_WITH_PARENT=1``. It sees
the ranks of its own node only."""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile

from torch.distributed import run as torchrun
from torch.distributed.elastic.multiprocessing.api import SignalException
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

from .signals import EXIT_DIR_VARIABLE, die_with_parent

EXIT_PREEMPTED = 75
FAILURES_FIRST = (2, 3, 74)   # the scripts' own failure codes (gendd/cli/guard.py), the most telling first


def reported_codes(folder: str) -> dict[str, int]:
    """{'rank<local rank>': exit code} of the workers that reported one."""
    codes = {}
    for name in sorted(os.listdir(folder)):
        try:
            with open(os.path.join(folder, name)) as fh:
                codes[name] = int(fh.read().strip())
        except (OSError, ValueError):
            pass
    return codes


def worker_codes(failed: ChildFailedError | None, reported: dict[str, int]) -> dict[str, int]:
    """{'rank<local rank>': code}: the failed processes' exit codes, overridden by what each reported."""
    codes = {f"rank{f.local_rank}": f.exitcode for f in failed.failures.values()} if failed else {}
    return codes | reported


def outcome(codes: dict[str, int], expected: int | None, sig: signal.Signals | None = None) -> tuple[int, str] | None:
    """(exit code, message) after torchrun ended by ``sig`` (None: a worker failed); None when
    torchrun's own report should stand (see the module's rules)."""
    for code in FAILURES_FIRST:
        ranks = sorted(r for r, c in codes.items() if c == code)
        if ranks:
            names = ", ".join(r.replace("rank", "rank ") for r in ranks)
            return code, (f"error: {names} exited with code {code} (the message is above); the other local "
                          f"process(es) stopped with it (exit codes by local rank: {codes})")
    everyone = expected is None or len(codes) == expected
    if codes and everyone and all(c == EXIT_PREEMPTED for c in codes.values()):
        return EXIT_PREEMPTED, (f"pre-empted: {sig.name + ': ' if sig else ''}all {len(codes)} local process(es) "
                                f"stopped on the signal and kept their progress (each says above what it saved); "
                                f"run the same command again to continue")
    if sig is None:
        return None
    return 1, (f"error: torchrun stopped by {sig.name}, but only {sum(c == EXIT_PREEMPTED for c in codes.values())} "
               f"of {expected if expected is not None else '?'} local process(es) saved a checkpoint "
               f"(exit codes {codes or 'none reported'}); the next run resumes from the last checkpoint "
               f"written. Give the workers more time with TORCH_ELASTIC_SHUTDOWN_TIMEOUT")


def main(argv: list[str]) -> int:
    die_with_parent()
    os.environ.setdefault("TORCH_ELASTIC_SHUTDOWN_TIMEOUT", "300")
    folder = tempfile.mkdtemp(prefix="gendd-exit-")
    os.environ[EXIT_DIR_VARIABLE] = folder
    try:
        args = torchrun.parse_args(argv)
        expected = int(args.nproc_per_node) if str(args.nproc_per_node).isdigit() else None
        try:
            torchrun.run(args)
        except SignalException as err:
            code, message = outcome(reported_codes(folder), expected, signal.Signals(err.sigval))
            print(message, file=sys.stderr)
            return code
        except ChildFailedError as err:
            decided = outcome(worker_codes(err, reported_codes(folder)), expected)
            if decided is None:
                raise
            print(decided[1], file=sys.stderr)
            return decided[0]
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
