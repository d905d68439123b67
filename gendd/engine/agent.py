"""``python -m gendd.engine.agent ARGS`` is torchrun (``python -m torch.distributed.run ARGS``)
whose pre-emption ends as a single process's does. torchrun answers SIGTERM/SIGINT by
forwarding the signal to its workers (which checkpoint and exit 75, see
``gendd.engine.trainer``) and then dies with a ``SignalException`` traceback and exit code 1;
here every local worker reports its exit code into a temporary folder (``GENDD_EXIT_DIR``), and
the agent exits 75 with one ``pre-empted:`` line when all of them saved and stopped, or 1
with one ``error:`` line when some did not. The workers get
``TORCH_ELASTIC_SHUTDOWN_TIMEOUT`` seconds (default here 300, torchrun's own is 30) to finish
their step and write the checkpoint before torchrun kills them. Like the workers, the agent
dies with its parent (the launcher's shell) when ``GENDD_DIE_WITH_PARENT=1``. When a worker fails
with one of the scripts' documented exit codes (2 bad input, 3 non-finite, 74 write failed), the
agent exits with that code and one line instead of torchrun's 1 and its error report."""
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
DOCUMENTED = (2, 3, 74, 75)   # the scripts' own exit codes (gendd/cli.py): passed on instead of torchrun's 1


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


def preemption_outcome(codes: dict[str, int], expected: int | None, sig: signal.Signals) -> tuple[int, str]:
    """(exit code, message) after torchrun was stopped by ``sig``."""
    everyone = expected is None or len(codes) == expected
    if codes and everyone and all(c == EXIT_PREEMPTED for c in codes.values()):
        return EXIT_PREEMPTED, (f"pre-empted: {sig.name}: all {len(codes)} local process(es) saved a checkpoint and "
                                f"stopped; run the same command again to continue")
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
            code, message = preemption_outcome(reported_codes(folder), expected, signal.Signals(err.sigval))
            print(message, file=sys.stderr)
            return code
        except ChildFailedError as err:
            rank, failure = err.get_first_failure()
            if failure.exitcode not in DOCUMENTED:
                raise
            print(f"error: rank {rank} exited with code {failure.exitcode} (its message is above); torchrun "
                  f"stopped the other processes", file=sys.stderr)
            return failure.exitcode
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
