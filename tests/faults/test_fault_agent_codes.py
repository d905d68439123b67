"""One bad input, one exit code, on any rank: under ``python -m gendd.engine.agent`` (torchrun, 2
processes, gloo, CPU) the job ends with the exit code of the rank that found the problem, not
with the first failure in time. A training label out of range on one rank: that rank exits 2 with
its line, its peer stops in the next collective with one line (no traceback), and the agent
exits 2. Every rank saved on SIGTERM but then ended with 1 (a failing shutdown after the report):
the agent exits 75. The agent's rule table is checked directly too."""
import os
import signal
import subprocess
import sys

import pytest

from gendd.engine.agent import outcome
from helpers.fault_tools import (CIFAR, RUNNER, children, environ_of, kd_args, kd_args_with_a_bad_label, kd_run_dir,
                                 newest_step, process_env, wait_until)
from helpers.launcher_tools import free_port

pytestmark = pytest.mark.slow


def agent_command(args: list[str], faults: bool = False) -> list[str]:
    return [sys.executable, "-m", "gendd.engine.agent", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
            "--master_port", str(free_port()), *([str(RUNNER)] if faults else []), *args]


def test_a_bad_label_on_one_rank_ends_the_job_with_exit_2(world, tmp_path):
    res = subprocess.run(agent_command(kd_args_with_a_bad_label(world, tmp_path)), cwd=CIFAR, env=process_env(),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 2, res.stderr[-4000:]
    assert res.stderr.count("holds label 150, outside the model's 100 classes") == 1, res.stderr[-4000:]
    assert "error: a peer process of this run ended" in res.stderr, res.stderr[-4000:]
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("error: rank ") and "exited with code 2" in last, last
    assert "Traceback" not in res.stderr, res.stderr[-4000:]


def test_every_rank_saved_then_ended_with_1_is_a_preemption(world, tmp_path):
    faults = {"die_after_report": 1}
    agent = subprocess.Popen(agent_command(kd_args(world, tmp_path, 100), faults=True), cwd=CIFAR,
                             env=process_env(faults), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_until(lambda: newest_step(kd_run_dir(tmp_path)) >= 2, proc=agent, timeout=300)
        workers = [pid for pid in children(agent.pid) if "RANK" in environ_of(pid)]
        assert len(workers) == 2, workers
        for pid in workers:   # the workers only, as a scheduler's kill of the job step may
            os.kill(pid, signal.SIGTERM)
        output = agent.communicate(timeout=300)[0]
    finally:
        if agent.poll() is None:
            agent.kill()
    assert output.count("pre-empted: stop signal received: checkpoint saved") == 2, output[-4000:]
    assert agent.returncode == 75, output[-4000:]
    assert "pre-empted: all 2 local process(es) stopped on the signal" in output, output[-4000:]


@pytest.mark.parametrize("codes,expected", [
    ({"rank0": 1, "rank1": 2}, 2),        # the peer's collective failure came first in time
    ({"rank0": 75, "rank1": 2}, 2),       # a bad input is not retried, even when a stop came with it
    ({"rank0": 74, "rank1": 3}, 3),
    ({"rank0": 75, "rank1": 75}, 75),
    ({"rank0": 75}, None),                # rank 1 ended with 0 or reported nothing: torchrun's report
    ({"rank0": 1, "rank1": -9}, None),
])
def test_the_agent_reports_the_code_of_the_rank_that_found_the_problem(codes, expected):
    decided = outcome(codes, 2)
    assert (decided[0] if decided else None) == expected
    stopped = outcome(codes, 2, signal.SIGTERM)
    assert stopped[0] == (expected or 1)
