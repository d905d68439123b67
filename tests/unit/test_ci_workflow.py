"""The GitHub Actions workflow runs on every push what CI runs: the install step of .ci/run (the
dataset-fashion-mnist package) and the README's test command, on a Linux runner."""
import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "tests.yml"
TEST_COMMAND = "bash sh/test.sh"


def test_workflow_runs_the_test_command_on_push_with_the_ci_install_steps():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))            # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers and "pull_request" in triggers
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    commands = [step["run"] for step in job["steps"] if "run" in step]
    assert commands[-1] == TEST_COMMAND
    ci_run = (ROOT / ".ci" / "run").read_text()
    assert ci_run.strip().splitlines()[-1] == TEST_COMMAND          # the command CI runs
    packages = set(re.findall(r"apt-get install -y -q (\S+)", ci_run))
    assert packages == {"dataset-fashion-mnist"}
    assert any(f"apt-get install -y -q {p}" in c for c in commands for p in packages)
    python = next(step["with"]["python-version"] for step in job["steps"] if "setup-python" in step.get("uses", ""))
    assert re.fullmatch(r"3\.1[0-9]", python)                       # pyproject: requires-python >= 3.10
