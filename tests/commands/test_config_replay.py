"""``--config <run>/config.yaml`` on the training scripts: replaying a run's recorded flags on the
same data gives bitwise the same weights on CPU (both trees); flags given on the command line win over the
file; a damaged file, a key that is no flag of the script, or a value the flag refuses is one
``error:`` line and exit 2, before anything is written."""
import pytest
import yaml
from helpers.fault_tools import (ROOT, assert_bitwise_equal, final_weights, gendd_args, gendd_run_dir, kd_args,
                                 kd_run_dir, make_world, refused, run_in_process)
from helpers.imagenet_smoke import TINY_ARCH, TREE, tiny_imagenet

from gendd.cli import add_training_args
from gendd_cifar.data_args import base_parser as cifar_parser
from gendd_imagenet.data_args import base_parser as imagenet_parser


@pytest.mark.slow
def test_replaying_a_gendd_run_gives_bitwise_the_same_weights(tmp_path):
    world = make_world(tmp_path / "world")
    code, out = run_in_process(gendd_args(world, tmp_path / "first", 1, "--beta", "0.5", "--trial", "x"))
    assert code == 0, out
    first = gendd_run_dir(tmp_path / "first").parent / "S-resnet8_T-resnet8_cifar100_trial_x"
    code, out = run_in_process(["train_student_gendd.py", "--config", str(first / "config.yaml"),
                                "--save_dir", str(tmp_path / "again")])
    assert code == 0, out
    again = tmp_path / "again" / first.relative_to(tmp_path / "first")
    assert_bitwise_equal(final_weights(first), final_weights(again))
    recorded = {k: v for k, v in yaml.safe_load((again / "config.yaml").read_text()).items()
                if k not in ("save_dir", "config")}
    assert recorded == {k: v for k, v in yaml.safe_load((first / "config.yaml").read_text()).items()
                        if k not in ("save_dir", "config")}


@pytest.mark.slow
def test_replaying_an_imagenet_gendd_run_gives_bitwise_the_same_weights(tmp_path):
    """The same in the ImageNet tree: supervised GenDD (tiny head, one sampled draw in the
    evaluation, feature mixup) on a tiny ImageFolder tree, then ``--config`` with another folder."""
    world = tiny_imagenet(tmp_path / "world")
    code, out = run_in_process(
        ["main_supervised_gendd.py", "--data", str(world / "data"), "--arch_t", TINY_ARCH, "--path_t",
         str(world / "teacher.pth"), "--model_s", TINY_ARCH, "--path_pretrain", "",
         "--save_dir", str(tmp_path / "first"),
         "--device", "cpu", "--num_workers", "0", "--image_size", "32", "--epochs", "2", "--batch_size", "4",
         "--skip_teacher_eval", "--width", "32", "--depth", "1", "--diffusion_batch_mul", "2", "--sampling_steps", "2",
         "--num_sampling", "1", "--warmup_epochs", "0", "--beta", "0.5"], TREE)
    assert code == 0, out
    (first,) = (tmp_path / "first").glob("*/*/final.pth")
    code, out = run_in_process(["main_supervised_gendd.py", "--config", str(first.parent / "config.yaml"),
                                "--save_dir", str(tmp_path / "again")], TREE)
    assert code == 0, out
    again = tmp_path / "again" / first.parent.relative_to(tmp_path / "first")
    assert_bitwise_equal(final_weights(first.parent), final_weights(again))
    assert (first.parent / "summary.json").read_text() == (again / "summary.json").read_text()


def write(path, text):
    path.write_text(text)
    return str(path)


def test_flags_given_win_over_the_file_wherever_they_stand(tmp_path):
    config = write(tmp_path / "config.yaml", yaml.safe_dump({"epochs": 7, "learning_rate": 0.5, "amp": "fp16",
                                                             "trial": "3", "world_size": 8}))

    def parse(*argv):
        p = cifar_parser("t")
        add_training_args(p, epochs=240, learning_rate=0.05, weight_decay=5e-4)
        return vars(p.parse_args(list(argv)))
    args = parse("--config", config)
    assert (args["epochs"], args["learning_rate"], args["amp"], args["trial"]) == (7, 0.5, "fp16", "3")
    assert parse("--config", config, "--epochs", "2")["epochs"] == 2
    assert parse("--epochs", "2", "--config", config)["epochs"] == 2
    assert parse("--config=" + config, "--amp")["amp"] == "bf16"
    assert parse()["epochs"] != 7                                      # no --config: the script's defaults


def test_required_flags_count_as_given_when_the_file_holds_them(tmp_path):
    config = write(tmp_path / "config.yaml", yaml.safe_dump({"batch_size": 3}))
    p = imagenet_parser("t", "imagenet")
    p.add_argument("--path_t", required=True)
    with pytest.raises(SystemExit):
        p.parse_args(["--config", config])
    p = imagenet_parser("t", "imagenet")
    p.add_argument("--path_t", required=True)
    assert p.parse_args(["--config", write(tmp_path / "c2.yaml", "path_t: teacher.pth\n")]).path_t == "teacher.pth"


@pytest.mark.parametrize("text, words", [
    ("epochs: [1, 2\n", ("is not valid YAML", "damaged")),
    ("- 1\n- 2\n", ("holds a list, not the flags of a run",)),
    ("epochs: 2\ndistill: kd\nkd_T: 4.0\n", ("sets distill, kd_T", "another script")),
    ("epochs: two\n", ("epochs: 'two'", "--epochs takes a value of type int")),
    ("epochs: 2.5\n", ("--epochs takes a value of type int",)),
    ("skip_teacher_eval: 3\n", ("true or false",)),
    ("amp: fp8\n", ("one of bf16, fp16",)),
])
def test_bad_config_files_are_refused_before_anything_is_written(tmp_path, text, words):
    world = make_world(tmp_path / "world")
    config = write(tmp_path / "config.yaml", text)
    refused(["train_student_gendd.py", "--config", config, *gendd_args(world, tmp_path / "save", 1)[1:]], *words)
    assert not (tmp_path / "save").exists()


def test_missing_file_and_a_config_of_another_kind_are_refused(tmp_path):
    world = make_world(tmp_path / "world")
    refused(kd_args(world, tmp_path / "save", 1, "--config", str(tmp_path / "none.yaml")), "cannot be read")
    lt = write(tmp_path / "lt.yaml", "data_kind: lt\nepochs: 1\n")
    refused(["main_kd.py", "--config", lt], "data_kind: 'lt'", "this script runs data_kind 'imagenet'",
            tree=ROOT / "GenDD_imagenet")


@pytest.mark.slow
def test_replaying_a_kd_run_into_its_own_folder_resumes_it(tmp_path):
    world = make_world(tmp_path / "world")
    code, out = run_in_process(kd_args(world, tmp_path / "save", 1))
    assert code == 0, out
    run = kd_run_dir(tmp_path / "save")
    before = final_weights(run)
    code, out = run_in_process(["train_student_kd.py", "--config", str(run / "config.yaml")])
    assert code == 0 and "resumed from" in out, out[-2000:]
    assert_bitwise_equal(before, final_weights(run))
