"""CUDA lane: a few steps of each ImageNet-tree family, from its launcher, on tiny data (32 px)
with random teachers, under ``--amp --cuda_graph``: supervised GenDD (stage 1 + stage 2) and KD
(resnet34 -> resnet18), label-free GenDD and KD on CC3M shards, and ImageNet-LT (the ResNeXt
teacher, then a GenDD student from it). Every step captures; every run finishes with finite weights.
Needs webdataset and braceexpand (the ImageNet tree reads CC3M with them): without them these
tests are skipped with that reason and the rest of the lane runs."""
import pytest

for _module in ("webdataset", "braceexpand"):
    pytest.importorskip(_module, reason=f"the ImageNet tree needs {_module}: pip install {_module}")

from helpers.cuda_lane import DEVICE, LANE, check_trained_run, run_launcher_in_process  # noqa: E402
from helpers.imagenet_smoke import SMALL_HEAD, TREE, cc3m_shards, image_tree, lt_lists, teacher_file  # noqa: E402

pytestmark = LANE
ENGINE = f"--device {DEVICE} --num_workers 0 --amp --cuda_graph --log_every 2"
# launcher -> (extra flags, {run folder kind: steps}); 12 training images at batch 2: 6 steps (the graph
# replays); two loader processes: their batches are pinned by a thread while the step is captured
SUPERVISED = {
    "sh/imagenet_train_res34res18_gendd.sh": ("--batch_size 2 --num_workers 2", {"gendd_pretrain": 6, "gendd": 6}),
    # the recipe's lr 0.2 is for a global batch of 512: at batch 2 on 12 images it diverges
    "sh/imagenet_train_res34res18_kd.sh": ("--batch_size 2 --num_workers 2 --learning_rate 0.01", {"kd": 6}),
    "sh/cc3m_train_res34res18_unsupervised_gendd.sh": ("--batch_size 2 --iterations_per_epoch 5",
                                                       {"unsupervised_gendd": 5}),
    "sh/cc3m_train_res50mv_unsupervised_kd.sh": ("--batch_size 2 --iterations_per_epoch 5", {"unsupervised_kd": 5}),
}
LT_TRAIN_COUNTS = [101, 20, 1]  # many-, medium- and few-shot classes: 122 images, 4 steps at batch 32


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("imagenet_lane")
    return {"tree": image_tree(root / "tiny", 4, 3, [2, 1, 1, 1]), "shards": cc3m_shards(root / "cc3m", 4, 3),
            "resnet34": teacher_file(root / "r34.pth", "resnet34", 4),
            "resnet50": teacher_file(root / "r50.pth", "resnet50", 4)}


@pytest.mark.parametrize("launcher", sorted(SUPERVISED))
def test_imagenet_and_cc3m_families_train_captured_under_amp(data, tmp_path, launcher):
    flags, runs = SUPERVISED[launcher]
    save = tmp_path / "save"
    teacher = data["resnet50"] if "res50" in launcher else data["resnet34"]
    run_launcher_in_process(TREE / launcher, tmp_path, DATA_ROOT=data["tree"], CC3M_SHARDS=data["shards"],
                            TEACHER=teacher, EPOCHS=1, IMAGE_SIZE=32, GENDD_ARGS=SMALL_HEAD,
                            EXTRA_ARGS=f"{ENGINE} {flags} --save_dir {save}")
    for kind, steps in runs.items():
        (run,) = (save / kind).iterdir()
        check_trained_run(run, steps)


def test_imagenet_lt_teacher_then_gendd_student_captured_under_amp(tmp_path):
    save = tmp_path / "save"
    train_list, val_list = lt_lists(tmp_path / "imagenet", LT_TRAIN_COUNTS, 2)
    env = dict(DATA_ROOT=tmp_path / "imagenet", LT_TRAIN_LIST=train_list, LT_VAL_LIST=val_list, EPOCHS=1,
               IMAGE_SIZE=32, GENDD_ARGS=SMALL_HEAD, EXTRA_ARGS=f"{ENGINE} --batch_size 32 --save_dir {save}")
    run_launcher_in_process(TREE / "sh_lt/lt_train_resnext101_teacher.sh", tmp_path, **env)
    (teacher_run,) = (save / "lt_teacher").iterdir()
    check_trained_run(teacher_run, steps=4)
    run_launcher_in_process(TREE / "sh_lt/lt_train_resnext101res18_gendd.sh", tmp_path,
                            TEACHER=teacher_run / "final.pth", **env)
    (student_run,) = (save / "gendd_lt").iterdir()
    check_trained_run(student_run, steps=4)
