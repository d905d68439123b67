"""Launchers under sbatch, with a fake SLURM on CPU: sbatch runs a *copy* of the launcher from its
spool folder, so the launcher finds its shared part under SLURM_SUBMIT_DIR (the repository or
its tree) or GENDD_REPO. On several nodes it fans out with srun; the fake srun deletes the spool
folder first (the other nodes never had it) and runs one task per node, each with its
SLURM_NODEID, at the same time, so that the nodes' torchrun agents meet: a real 2-node run of
one process each."""
import json
import os
import pathlib
import shutil

import pytest
import torch
import yaml

from helpers.fake_cifar import write_fake_cifar100
from gendd_cifar.models import build_model
from gendd_cifar.teachers import save_model
from helpers.launcher_tools import free_port, recorded_commands, recorder, run_launcher

ROOT = pathlib.Path(__file__).resolve().parents[2]
CIFAR_KD = ROOT / "GenDD_cifar" / "sh" / "train_res56_res20_kd.sh"

FAKE_SRUN = """#!/usr/bin/env bash
# fake srun: records its arguments, removes sbatch's spool folder, runs the command once per node
echo "$*" >> "$FAKE_SLURM_LOG"
rm -rf "$FAKE_SPOOL"
nodes=1
while [[ "$1" == --* ]]; do [[ "$1" == --nodes=* ]] && nodes="${1#--nodes=}"; shift; done
pids=()
for ((i = 0; i < nodes; i++)); do SLURM_NODEID=$i SLURM_PROCID=$i SLURM_STEP_ID=0 "$@" & pids+=($!); done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
exit $status
"""
FAKE_SCONTROL = """#!/usr/bin/env bash
# fake scontrol: `scontrol show hostnames LIST` -> this machine
echo "scontrol $*" >> "$FAKE_SLURM_LOG"
[[ "$1 $2" == "show hostnames" ]] && echo 127.0.0.1
"""


def fake_slurm(tmp_path, launcher: pathlib.Path, submit_dir, nodes: int, **extra) -> dict:
    """The environment of an sbatch job: the launcher copied to a spool folder (returned as
    env["SPOOL_SCRIPT"]), fake srun/scontrol first on PATH, SLURM_* variables."""
    bin_dir, spool = tmp_path / "bin", tmp_path / "spool" / "job4242"
    bin_dir.mkdir(exist_ok=True)
    spool.mkdir(parents=True, exist_ok=True)
    for name, text in (("srun", FAKE_SRUN), ("scontrol", FAKE_SCONTROL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    shutil.copy(launcher, spool / "slurm_script")
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "SLURM_JOB_ID": "4242", "SLURM_NNODES": str(nodes),
           "SLURM_JOB_NODELIST": "node[1-2]", "SLURM_SUBMIT_DIR": str(submit_dir), "FAKE_SPOOL": str(spool),
           "FAKE_SLURM_LOG": str(tmp_path / "slurm.log"), "SPOOL_SCRIPT": str(spool / "slurm_script")}
    for key in ("SLURM_STEP_ID", "SLURM_NODEID", "SLURM_PROCID", "GENDD_REPO"):
        env[key] = ""
    env.update(extra)
    return env


def sbatch(env: dict, cwd) -> "subprocess.CompletedProcess":  # noqa: F821
    """What slurmd does: run the spool copy from the submit folder."""
    return run_launcher(env["SPOOL_SCRIPT"], str(cwd), env)


@pytest.mark.parametrize("submit", ["repository", "tree", "elsewhere"])
def test_a_spool_copy_finds_the_repository(submit, tmp_path):
    submit_dir = {"repository": ROOT, "tree": ROOT / "GenDD_cifar", "elsewhere": tmp_path}[submit]
    record = tmp_path / "commands.jsonl"
    env = fake_slurm(tmp_path, CIFAR_KD, submit_dir, 1, PYTHON=recorder(tmp_path), GENDD_RECORD=str(record),
                     GPUS="1", GENDD_REPO=str(ROOT) if submit == "elsewhere" else "")
    res = sbatch(env, submit_dir)
    assert res.returncode == 0, res.stderr
    (command,) = recorded_commands(record)
    assert command["cwd"] == str(ROOT / "GenDD_cifar") and command["argv"][0] == "train_student_kd.py"
    calls = (tmp_path / "slurm.log").read_text().splitlines()
    assert calls == ["scontrol show hostnames node[1-2]"]   # the master address; one node: no srun


def test_a_spool_copy_without_a_repository_is_a_clear_error(tmp_path):
    env = fake_slurm(tmp_path, ROOT / "GenDD_imagenet" / "sh" / "imagenet_train_res34res18_kd.sh", tmp_path, 1,
                     PYTHON=recorder(tmp_path), GENDD_RECORD=str(tmp_path / "commands.jsonl"), GPUS="1")
    res = sbatch(env, tmp_path)
    assert res.returncode == 1 and not (tmp_path / "commands.jsonl").exists()   # bash's status of a ${VAR:?} stop
    (line,) = res.stderr.splitlines()
    assert "SH_DIR: GenDD_imagenet/sh/_kd_imagenet.sh not found: submit from the repository or set GENDD_REPO" in line


def test_an_imagenet_spool_copy_runs_from_the_tree(tmp_path):
    record = tmp_path / "commands.jsonl"
    launcher = ROOT / "GenDD_imagenet" / "sh_lt" / "lt_train_resnext101_teacher.sh"
    env = fake_slurm(tmp_path, launcher, ROOT / "GenDD_imagenet", 1, PYTHON=recorder(tmp_path),
                     GENDD_RECORD=str(record), GPUS="8")
    res = sbatch(env, ROOT / "GenDD_imagenet")
    assert res.returncode == 0, res.stderr
    assert "global batch 256 = 8 process(es) x 32" in res.stdout
    (command,) = recorded_commands(record)
    assert command["cwd"] == str(ROOT / "GenDD_imagenet") and "main_lt.py" in command["argv"]


@pytest.mark.slow
def test_two_nodes_fan_out_with_srun_and_train_one_run(tmp_path):
    world = tmp_path / "world"
    write_fake_cifar100(world / "data", n_train=128, n_test=40)
    torch.manual_seed(0)
    save_model(build_model("resnet56", 100).eval(), world / "save" / "models" / "resnet56_vanilla" /
               "ckpt_epoch_240.pth", "resnet56")
    env = fake_slurm(tmp_path, CIFAR_KD, ROOT, 2, DATA_ROOT=str(world / "data"), SAVE_DIR=str(world / "save"),
                     EPOCHS="1", MASTER_PORT=str(free_port()), OMP_NUM_THREADS="1",
                     EXTRA_ARGS="--device cpu --num_workers 0 --skip_teacher_eval")
    res = sbatch(env, ROOT)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    log = (tmp_path / "slurm.log").read_text()
    assert log.startswith("scontrol show hostnames node[1-2]\n"
                          "--ntasks-per-node=1 --nodes=2 bash -c #!/usr/bin/env bash")
    assert f"{CIFAR_KD.read_text().rstrip()} {env['SPOOL_SCRIPT']}\n" in log   # the script's text, then its $0
    assert log.count("scontrol show hostnames node[1-2]") == 3   # the batch node, then each node
    assert not pathlib.Path(env["FAKE_SPOOL"]).exists()
    assert res.stdout.count("torchrun: 2 node(s) x 1 process(es)") == 2
    assert "node 0" in res.stdout and "node 1" in res.stdout
    run = world / "save" / "student_kd" / "S-resnet20_T-resnet56_cifar100_trial_0"
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert (config["world_size"], config["batch_size"], config["batch_per_process"]) == (2, 64, 32)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["global_step"] == 2 and summary["last"]["count"] == 40   # 128 images / 64; every test image once
