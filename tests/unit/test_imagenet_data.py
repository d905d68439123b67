"""ImageNet-side data: transforms, Mixup/CutMix targets, ImageFolder, ImageNet-LT lists and
shot groups, and the CC3M webdataset batch source (rank/worker splitting, exact epochs, resume)."""
import io
import json
import math
from collections import Counter

import pytest
import torch
import webdataset as wds
from PIL import Image
from timm.data.auto_augment import RandAugment
from torchvision import transforms as T

from gendd_imagenet.data import (CC3MSource, ImageNetLT, MixupCutmix, class_counts, eval_transform, imagenet_folders,
                                 read_list, recipe_train_transform, shot_accuracies, shot_groups, train_transform)
from gendd_imagenet.data.transforms import IMAGENET_MEAN, IMAGENET_STD

# ---------------------------------------------------------------- transforms and mixing


def test_eval_transform_is_resize_256_over_224_then_center_crop():
    image = Image.frombytes("RGB", (50, 40), bytes(range(256)) * 23 + bytes(range(232)))
    for size in (32, 224):
        expected = T.Compose([T.Resize(round(size * 256 / 224)), T.CenterCrop(size), T.ToTensor(),
                              T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])(image)
        torch.testing.assert_close(eval_transform(size)(image), expected)
    solid = eval_transform(16)(Image.new("RGB", (20, 30), (255, 0, 51)))
    for c, value in enumerate((1.0, 0.0, 0.2)):
        torch.testing.assert_close(solid[c], torch.full((16, 16), (value - IMAGENET_MEAN[c]) / IMAGENET_STD[c]))


def test_train_transform_crops_to_size_with_the_given_scale():
    t = train_transform(24, scale=(0.6, 1.0))
    crop = t.transforms[0]
    assert isinstance(crop, T.RandomResizedCrop) and crop.scale == (0.6, 1.0) and crop.size == (24, 24)
    assert t(Image.new("RGB", (40, 30))).shape == (3, 24, 24)


def test_a1_adds_colour_jitter_to_the_a2_randaugment():
    for recipe, jitter in (("A1", True), ("A2", False)):
        t = recipe_train_transform(recipe, 32)
        augment = [op for op in t.transforms if isinstance(op, RandAugment)]
        assert len(augment) == 1 and augment[0].num_layers == 2
        assert {op.magnitude for op in augment[0].ops} == {7} and {op.magnitude_std for op in augment[0].ops} == {0.5}
        assert any(isinstance(op, T.ColorJitter) for op in t.transforms) == jitter
        assert t(Image.new("RGB", (40, 48), (10, 200, 30))).shape == (3, 32, 32)
    with pytest.raises(ValueError, match="unknown augmentation recipe"):
        recipe_train_transform("A3")


def test_mixup_targets_are_the_mixed_smoothed_one_hots_and_sum_to_one():
    C, eps = 6, 0.1
    labels = torch.tensor([0, 1, 2, 3])
    x = torch.randn(4, 3, 5, 5)
    mixed, y = MixupCutmix(C, mixup_alpha=0.4, label_smoothing=eps)(x.clone(), labels)
    assert y.shape == (4, C) and (y >= 0).all()
    torch.testing.assert_close(y.sum(1), torch.ones(4))
    lam = (y[0, 0] - eps / C) / (1 - eps)  # y~[i, y_i] = λ(1 - ε + ε/C) + (1 - λ)ε/C for distinct labels
    s = torch.full((4, C), eps / C)
    s[torch.arange(4), labels] += 1 - eps
    torch.testing.assert_close(y, lam * s + (1 - lam) * s.flip(0))
    torch.testing.assert_close(mixed, lam * x + (1 - lam) * x.flip(0))
    _, y = MixupCutmix.for_recipe("A2", C)(torch.randn(4, 3, 8, 8), labels)
    torch.testing.assert_close(y.sum(1), torch.ones(4))


def test_label_smoothing_alone_and_odd_batches():
    same, y = MixupCutmix(5, label_smoothing=0.2)(torch.ones(3, 1), torch.tensor([4, 0, 4]))
    assert torch.equal(same, torch.ones(3, 1))
    torch.testing.assert_close(y[0], torch.tensor([0.04, 0.04, 0.04, 0.04, 0.84]))
    torch.testing.assert_close(y.sum(1), torch.ones(3))
    with pytest.raises(ValueError, match="even batch size"):
        MixupCutmix(5, cutmix_alpha=1.0)(torch.randn(3, 3, 8, 8), torch.tensor([0, 1, 2]))

# ---------------------------------------------------------------- ImageFolder


def _image_tree(root, split, classes, per_class=2):
    for c, name in enumerate(classes):
        folder = root / split / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            ext = "png" if i % 2 else "JPEG"
            Image.new("RGB", (20 + 3 * i, 18), (40 * c, 10 * i, 90)).save(folder / f"{name}_{i}.{ext}")


def test_imagefolder_tree_loads_with_both_transforms(tmp_path):
    _image_tree(tmp_path, "train", ["n01", "n02", "n03"], per_class=3)
    _image_tree(tmp_path, "val", ["n01", "n02", "n03"], per_class=2)
    train, val = imagenet_folders(str(tmp_path), train_transform(16, (0.5, 1.0)), eval_transform(16))
    assert (len(train), len(val), len(train.classes)) == (9, 6, 3)
    assert sorted(Counter(train.targets).items()) == [(0, 3), (1, 3), (2, 3)]
    images, labels = next(iter(torch.utils.data.DataLoader(train, batch_size=9)))
    assert images.shape == (9, 3, 16, 16) and labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    image, label = val[4]  # class n03, first image: colour (80, 0, 90) everywhere
    assert label == 2
    torch.testing.assert_close(image[0], torch.full((16, 16), (80 / 255 - IMAGENET_MEAN[0]) / IMAGENET_STD[0]),
                               atol=0.02, rtol=0)


def test_imagefolder_errors_name_the_missing_folder_and_mismatched_classes(tmp_path):
    _image_tree(tmp_path, "train", ["a", "b"])
    with pytest.raises(FileNotFoundError, match=r"val' does not exist; expected the layout root/train/<class>"):
        imagenet_folders(str(tmp_path), None, None)
    _image_tree(tmp_path, "val", ["a", "c"])
    with pytest.raises(ValueError, match=r"only in train: \['b'\], only in val: \['c'\]"):
        imagenet_folders(str(tmp_path), None, None)

# ---------------------------------------------------------------- ImageNet-LT

LT_COUNTS = [150, 101, 100, 20, 19, 1]  # many, many, medium, medium, few, few


def _write_list(path, counts):
    lines = [f"train/n{c:02d}/img_{i}.JPEG {c}" for c, n in enumerate(counts) for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_lt_class_counts_and_shot_groups(tmp_path):
    dataset = ImageNetLT(str(tmp_path), _write_list(tmp_path / "train.txt", LT_COUNTS))
    assert dataset.num_classes == 6 and len(dataset) == sum(LT_COUNTS)
    counts = class_counts(dataset.targets, dataset.num_classes)
    assert counts.tolist() == LT_COUNTS
    groups = shot_groups(counts)
    assert groups["many"].tolist() == [True, True, False, False, False, False]
    assert groups["medium"].tolist() == [False, False, True, True, False, False]
    assert groups["few"].tolist() == [False, False, False, False, True, True]


def test_lt_group_accuracies_match_a_hand_computation():
    correct = torch.tensor([10.0, 5, 4, 6, 3, 0])
    total = torch.tensor([10.0, 10, 10, 10, 10, 0])  # class 5 has no test image: left out of "few"
    acc = shot_accuracies(correct, total, torch.tensor(LT_COUNTS))
    assert acc["overall"] == pytest.approx(100 * 28 / 50)
    assert acc["many"] == pytest.approx((100 + 50) / 2)
    assert acc["medium"] == pytest.approx((40 + 60) / 2)
    assert acc["few"] == pytest.approx(30)
    assert math.isnan(shot_accuracies(correct[:2], total[:2], torch.tensor([5, 5]))["many"])


def test_lt_dataset_reads_images_and_rejects_bad_lists(tmp_path):
    (tmp_path / "train" / "n00").mkdir(parents=True)
    Image.new("RGB", (12, 10), (255, 0, 0)).save(tmp_path / "train" / "n00" / "a b.JPEG")
    (tmp_path / "list.txt").write_text("train/n00/a b.JPEG 3\n")
    image, label = ImageNetLT(str(tmp_path), str(tmp_path / "list.txt"), T.ToTensor())[0]
    assert label == 3 and image.shape == (3, 10, 12) and image[0].min() > 0.95
    (tmp_path / "bad.txt").write_text("train/n00/a.JPEG 1\ntrain/n00/b.JPEG\n")
    with pytest.raises(ValueError, match="bad.txt:2: expected 'relative/path.JPEG label'"):
        read_list(str(tmp_path / "bad.txt"))
    with pytest.raises(ValueError, match="label 3 but the training list defines 2 classes"):
        ImageNetLT(str(tmp_path), str(tmp_path / "list.txt"), num_classes=2)
    with pytest.raises(FileNotFoundError, match="list file"):
        read_list(str(tmp_path / "missing.txt"))

# ---------------------------------------------------------------- CC3M webdataset shards

N_SHARDS, PER_SHARD = 8, 4


def _sample_image(i):
    """A solid colour that encodes the sample id i: red = 8·(i mod 32) + 4, green = 8·(i // 32) + 4."""
    return Image.new("RGB", (8, 8), (8 * (i % 32) + 4, 8 * (i // 32) + 4, 0))


def _decode_ids(images):
    """Inverse of _sample_image on ToTensor output (JPEG moves the colours by a few levels)."""
    red, green = (images[:, c].mean((1, 2)) * 255 for c in (0, 1))
    return (((red - 4) / 8).round() + 32 * ((green - 4) / 8).round()).long().tolist()


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """img2dataset layout: NNNNN.tar shards of samples keyed SSSSSIIII with .jpg/.txt/.json."""
    folder = tmp_path_factory.mktemp("cc3m")
    for s in range(N_SHARDS):
        with wds.TarWriter(str(folder / f"{s:05d}.tar")) as sink:
            for j in range(PER_SHARD):
                i = s * PER_SHARD + j
                jpg = io.BytesIO()
                _sample_image(i).save(jpg, "JPEG", quality=95)
                sink.write({"__key__": f"{s:05d}{j:04d}", "jpg": jpg.getvalue(), "txt": f"a caption {i}",
                            "json": json.dumps({"key": f"{s:05d}{j:04d}", "status": "success"}).encode()})
    return str(folder / ("{00000..%05d}.tar" % (N_SHARDS - 1)))


def _epoch(shards, epoch, rank=0, iterations=8, start_step=0, num_workers=2, world_size=2):
    source = CC3MSource(shards, T.ToTensor(), batch_size=2, iterations=iterations, seed=3, rank=rank,
                        world_size=world_size, num_workers=num_workers, shuffle_buffer=4)
    assert source.steps_per_epoch == iterations
    batches = list(source.batches(epoch, start_step))
    assert all(labels.tolist() == [-1, -1] for _, labels in batches)
    return [_decode_ids(images) for images, _ in batches]


def test_cc3m_sample_ids_survive_the_jpeg_round_trip():
    for i in range(N_SHARDS * PER_SHARD):
        jpg = io.BytesIO()
        _sample_image(i).save(jpg, "JPEG", quality=95)
        assert _decode_ids(T.ToTensor()(Image.open(jpg))[None]) == [i]


def test_cc3m_epoch_splits_samples_over_ranks_and_workers_exactly_once(shards):
    per_rank = [_epoch(shards, epoch=1, rank=r) for r in range(2)]
    assert [len(batches) for batches in per_rank] == [8, 8]
    seen = [i for batches in per_rank for batch in batches for i in batch]
    assert sorted(seen) == list(range(N_SHARDS * PER_SHARD))  # 2 ranks x 8 steps x 2 = every sample once


def test_cc3m_order_is_fixed_by_seed_and_epoch_and_start_step_skips_exactly(shards):
    first = _epoch(shards, epoch=1)
    assert _epoch(shards, epoch=1) == first
    second = _epoch(shards, epoch=2)
    assert second != first
    assert {i for b in second for i in b} != {i for b in first for i in b}  # shards are reassigned too
    assert _epoch(shards, epoch=1, start_step=3) == first[3:]


def test_cc3m_repeats_shards_to_fill_exactly_the_configured_iterations(shards):
    per_rank = [_epoch(shards, epoch=1, rank=r, iterations=11) for r in range(2)]
    assert [len(batches) for batches in per_rank] == [11, 11]
    seen = Counter(i for batches in per_rank for batch in batches for i in batch)
    assert sum(seen.values()) == 44 and set(seen) == set(range(32)) and set(seen.values()) <= {1, 2}


def test_cc3m_single_process_loader_and_bad_shards(shards, tmp_path):
    batches = _epoch(shards, epoch=1, iterations=5, num_workers=0, world_size=1)
    assert len(batches) == 5 and len({i for b in batches for i in b}) == 10
    with pytest.raises(FileNotFoundError, match="CC3M shards do not exist"):
        CC3MSource(str(tmp_path / "{00000..00001}.tar"), T.ToTensor(), 2, 5, seed=0)
    with pytest.raises(ValueError, match="use fewer data-loader workers or more shards"):
        CC3MSource(shards, T.ToTensor(), 2, 5, seed=0, world_size=2, num_workers=8)
    for s in range(2):
        wds.TarWriter(str(tmp_path / f"{s:05d}.tar")).close()
    empty = CC3MSource(str(tmp_path / "{00000..00001}.tar"), T.ToTensor(), 2, 5, seed=0, num_workers=0)
    with pytest.raises(RuntimeError, match="shards in a row held no sample"):
        next(empty.batches(1))


class _RandomDraw:
    """A 'transform' whose output is a fresh torch draw: equal outputs mean equally seeded calls."""

    def __call__(self, image):
        return torch.rand(4)


def test_cc3m_augmentation_is_seeded_per_sample_and_survives_a_resume(shards):
    source = CC3MSource(shards, _RandomDraw(), batch_size=2, iterations=8, seed=3, world_size=2, num_workers=2,
                        shuffle_buffer=4)
    full = [x for x, _ in source.batches(1)]
    tail = [x for x, _ in source.batches(1, start_step=3)]
    assert len(tail) == 5 and all(torch.equal(a, b) for a, b in zip(full[3:], tail))
    assert len(set(torch.cat(full)[:, 0].tolist())) == 16  # every sample gets its own draw
