"""Running launchers in tests: record the python commands a launcher would run (a stand-in
PYTHON), then replay each one in this process as a dry run (`--dry_run`): every piece is
built from the full command line, and nothing trains."""
from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import socket
import subprocess
import sys

RECORDER = """#!{python}
import json, os, sys
with open(os.environ["GENDD_RECORD"], "a") as fh:
    fh.write(json.dumps({{"cwd": os.getcwd(), "argv": sys.argv[1:]}}) + "\\n")
"""


def recorder(tmp_path) -> str:
    path = tmp_path / "record_python"
    path.write_text(RECORDER.format(python=sys.executable))
    path.chmod(0o755)
    return str(path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_launcher(script: str, cwd: str, env: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    full = {**os.environ, **env}
    return subprocess.run(["bash", script], cwd=cwd, env=full, capture_output=True, text=True, timeout=timeout)


def recorded_commands(record_file) -> list[dict]:
    with open(record_file) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def dry_run(command: dict) -> str:
    """Run one recorded `python SCRIPT ARGS` in-process with --dry_run; returns its output."""
    script, *args = command["argv"]
    old_argv, old_cwd, old_path = sys.argv, os.getcwd(), list(sys.path)
    out = io.StringIO()
    try:
        os.chdir(command["cwd"])
        sys.path.insert(0, command["cwd"])
        sys.argv = [script, *args, "--dry_run"]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                runpy.run_path(script, run_name="__main__")
            except SystemExit as exc:
                if exc.code not in (0, None):
                    raise AssertionError(f"dry run of {script} {' '.join(args)} exited {exc.code}:\n{out.getvalue()}")
    finally:
        sys.argv, sys.path[:] = old_argv, old_path
        os.chdir(old_cwd)
    return out.getvalue()
