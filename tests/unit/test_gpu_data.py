"""The device-resident CIFAR batch source (run on CPU): torchvision's crop/flip/normalise for the
same offsets, the engine's order and sharding, exact resume, and the raw-data extraction."""
import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image
from torch.utils.data import Subset
from torchvision import transforms

from gendd.engine.data import ResumableBatchSampler
from gendd_cifar.data import CIFAR100_MEAN, CIFAR100_STD, FMNIST_MEAN, FMNIST_STD, cifar_transforms
from gendd_cifar.gpu_data import DeviceSource, crop_flip_normalize, raw_training_images


class FakeCifar:
    def __init__(self, n=40, seed=0):
        rng = np.random.default_rng(seed)
        self.data = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        self.targets = list(rng.integers(0, 100, n))


class FakeFashion:
    def __init__(self, n=12):
        self.data = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8)
        self.targets = torch.randint(0, 10, (n,))


def torchvision_view(hwc: np.ndarray, top: int, left: int, flip: bool, mean, std) -> torch.Tensor:
    """The CPU pipeline's ops with given draws: pad 4 (zeros), crop, optional mirror, ToTensor, Normalize."""
    img = TF.crop(TF.pad(Image.fromarray(hwc), 4), top, left, 32, 32)
    if flip:
        img = TF.hflip(img)
    return TF.normalize(TF.to_tensor(img), mean, std)


def test_crop_flip_normalize_equals_torchvision_for_the_same_draws():
    data = FakeCifar(6).data
    images = torch.from_numpy(data).permute(0, 3, 1, 2)
    top, left = torch.tensor([0, 8, 4, 3, 7, 1]), torch.tensor([8, 0, 4, 5, 2, 6])
    flip = torch.tensor([False, True, False, True, True, False])
    mean, std = torch.tensor(CIFAR100_MEAN), torch.tensor(CIFAR100_STD)
    out = crop_flip_normalize(images, top, left, flip, mean, std)
    for i in range(6):
        expected = torchvision_view(data[i], int(top[i]), int(left[i]), bool(flip[i]), CIFAR100_MEAN, CIFAR100_STD)
        torch.testing.assert_close(out[i], expected, rtol=0, atol=1e-6)


def test_centre_crop_without_flip_is_the_cpu_test_transform():
    data = FakeCifar(3).data
    _, test_tf = cifar_transforms(CIFAR100_MEAN, CIFAR100_STD)
    out = crop_flip_normalize(torch.from_numpy(data).permute(0, 3, 1, 2), torch.full((3,), 4), torch.full((3,), 4),
                              torch.zeros(3, dtype=torch.bool), torch.tensor(CIFAR100_MEAN), torch.tensor(CIFAR100_STD))
    for i in range(3):
        torch.testing.assert_close(out[i], test_tf(Image.fromarray(data[i])), rtol=0, atol=1e-6)


def test_raw_images_of_nested_subsets_and_fashion_mnist():
    base = FakeCifar(20)
    images, labels = raw_training_images(Subset(Subset(base, list(range(5, 20))), [0, 3, 7]))
    assert torch.equal(images, torch.from_numpy(base.data[[5, 8, 12]]).permute(0, 3, 1, 2))
    assert labels.tolist() == [base.targets[i] for i in (5, 8, 12)]
    fashion = FakeFashion()
    images, labels = raw_training_images(fashion)
    assert images.shape == (12, 3, 32, 32) and images.dtype == torch.uint8
    assert torch.equal(images[:, 1, 2:30, 2:30], fashion.data) and images[:, :, :2].abs().sum() == 0
    _, test_tf = cifar_transforms(FMNIST_MEAN, FMNIST_STD, (transforms.Pad(2), transforms.Grayscale(3)))
    out = crop_flip_normalize(images[:2], torch.full((2,), 4), torch.full((2,), 4), torch.zeros(2, dtype=torch.bool),
                              torch.tensor(FMNIST_MEAN), torch.tensor(FMNIST_STD))
    torch.testing.assert_close(out[1], test_tf(Image.fromarray(fashion.data[1].numpy(), mode="L")), rtol=0, atol=1e-6)


def make_source(batch, rank=0, world=1, n=40):
    base = FakeCifar(n)
    images, labels = raw_training_images(base)
    return DeviceSource(images, labels, CIFAR100_MEAN, CIFAR100_STD, batch, seed=3, device=torch.device("cpu"),
                        rank=rank, world_size=world)


def test_order_is_the_engine_order_and_labels_follow():
    source = make_source(batch=8)
    sampler = ResumableBatchSampler(40, 8, 3)
    sampler.set_epoch(2)
    expected = [[i for i, _ in b] for b in sampler]
    base = FakeCifar(40)
    got = list(source.batches(2))
    assert len(got) == source.steps_per_epoch == 5
    for (images, labels), idx in zip(got, expected):
        assert labels.tolist() == [base.targets[i] for i in idx]
        assert images.shape == (8, 3, 32, 32) and images.dtype == torch.float32


def test_resume_and_world_size_see_the_same_images():
    source = make_source(batch=8)
    full = list(source.batches(epoch=1))
    resumed = list(source.batches(epoch=1, start_step=3))
    assert len(resumed) == 2
    for (a, la), (b, lb) in zip(full[3:], resumed):
        assert torch.equal(a, b) and torch.equal(la, lb)
    ranks = [list(make_source(batch=4, rank=r, world=2).batches(epoch=1)) for r in range(2)]
    for step, (images, labels) in enumerate(full):
        merged = torch.empty_like(images)
        merged[0::2], merged[1::2] = ranks[0][step][0], ranks[1][step][0]  # rank r holds positions r, r+2, ...
        assert torch.equal(merged, images)


def test_augmentation_changes_with_the_epoch_and_covers_crops_and_flips():
    source = make_source(batch=8)
    top1, left1, flip1 = source.augmentation(1)
    top2, _, _ = source.augmentation(2)
    assert not torch.equal(top1, top2)
    assert top1.min() >= 0 and top1.max() <= 8 and left1.min() >= 0 and left1.max() <= 8
    assert 0 < flip1.float().mean() < 1
    assert torch.equal(source.augmentation(1)[0], top1)


def test_build_data_uses_the_device_source_under_gpu_data(tmp_path):
    from helpers.fake_cifar import write_fake_cifar100

    from gendd.cli import split_batch, trial_seed
    from gendd.engine import DistEnv
    from gendd_cifar.data_args import base_parser, build_data
    write_fake_cifar100(tmp_path, n_train=60, n_test=20)
    env = DistEnv(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))
    args = base_parser("t").parse_args(["--data_root", str(tmp_path), "--batch_size", "16", "--gpu_data",
                                        "--num_workers", "0"])
    split_batch(args, env)  # what start_process does: the global batch split, the trial's seed
    args.seed = trial_seed(args.trial)
    data = build_data(args, env)
    assert isinstance(data.source, DeviceSource) and data.source.steps_per_epoch == 4
    images, labels = next(iter(data.source.batches(1)))
    assert images.shape == (16, 3, 32, 32) and labels.shape == (16,)
    args = base_parser("t").parse_args(["--data_root", str(tmp_path), "--num_workers", "0"])
    split_batch(args, env)
    args.seed = trial_seed(args.trial)
    cpu = build_data(args, env)
    assert not isinstance(cpu.source, DeviceSource)
