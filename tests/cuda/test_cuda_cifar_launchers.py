"""CUDA lane: one epoch of each CIFAR launcher family (GenDD stage 1 + stage 2, KD, DKD, IKL-KD;
the resnet32x4 -> resnet8x4 recipes) with ``--cuda_graph --gpu_data`` on a tiny fake CIFAR-100
(48 training images, batch 8: 6 steps, so the captured graph is replayed) and a random teacher;
every step captures (no fallback line), and every run finishes with finite weights."""
import pytest
import torch

from gendd_cifar.models import build_model
from gendd_cifar.teachers import save_model
from helpers.cuda_lane import DEVICE, LANE, check_trained_run, run_launcher_in_process
from helpers.fake_cifar import write_fake_cifar100
from helpers.fault_tools import CIFAR

pytestmark = LANE
FAMILIES = {"gendd": ["student_pretrain", "student_gendd"], "kd": ["student_kd"], "dkd": ["student_dkd"],
            "ikl": ["student_ikl"]}
SMALL_HEAD = "--width 64 --depth 1 --diffusion_batch_mul 2 --sampling_steps 4"


@pytest.fixture(scope="module")
def cifar_resnet32x4(tmp_path_factory):
    """A fake CIFAR-100 world of 48 train and 16 test images with one resnet32x4 teacher in <root>/models."""
    root = tmp_path_factory.mktemp("cifar_lane")
    write_fake_cifar100(root / "data", n_train=48, n_test=16)
    torch.manual_seed(0)
    save_model(build_model("resnet32x4", 100).eval(), root / "models" / "resnet32x4_vanilla" / "ckpt_epoch_240.pth",
               "resnet32x4")
    return root


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_one_epoch_of_each_cifar_launcher_captured(cifar_resnet32x4, tmp_path, family):
    save = tmp_path / "save"
    run_launcher_in_process(
        CIFAR / "sh" / f"train_res32x4_res8x4_{family}.sh", tmp_path, DATA_ROOT=cifar_resnet32x4 / "data",
        SAVE_DIR=save, TEACHER_DIR=cifar_resnet32x4 / "models", EPOCHS=1, BATCH=8, GENDD_ARGS=SMALL_HEAD,
        EXTRA_ARGS=f"--device {DEVICE} --num_workers 0 --cuda_graph --gpu_data --skip_teacher_eval --log_every 2")
    for kind in FAMILIES[family]:
        (run,) = (save / kind).iterdir()
        check_trained_run(run, steps=6)
