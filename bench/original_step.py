"""The original implementation's GenDD training step, measured as bench/capture_step.py measures ours:
wall time, summed CUDA kernel time, GPU busy, images/s; resnet32x4 -> resnet8x4, width 1024, M 30.

    bash bench/prepare_original.sh          # copies its model and loss code into .orig/ (not in this repository)
    python bench/original_step.py [--root .orig] [--batches 64,512] [--steps 20] [--json out.json]

Its modules (``models.model_dict``: the CIFAR ResNets and ``DiffModel`` with its ``DiffLoss``) are
imported from ``--root``/GenDD_cifar; the step does what its training loop does for one batch: the
teacher's features under no_grad, ``DiffModel``'s stage-2 forward (its own mixup, condition
dropout and diffusion loss), cross-entropy of the probe, the host reads of the logged losses,
backward, β2 from its cosine schedule, its AdamW (fp32, torch's default implementation).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import wall_and_kernel_ms  # noqa: E402


def load_original(root: Path):
    folder = root / "GenDD_cifar"
    if not (folder / "models" / "diff_model.py").is_file():
        sys.exit(f"error: the original implementation's code is not under {folder}: run bash bench/prepare_original.sh "
                 f"(and carry .orig to the device machine)")
    sys.path.insert(0, str(folder))
    from models import model_dict  # the original implementation's module
    return model_dict


def build(model_dict, batch: int, device: torch.device, width: int, repeats: int):
    torch.manual_seed(0)
    teacher = model_dict["resnet32x4"](num_classes=100).to(device).eval()
    student = model_dict["resnet8x4"](num_classes=100)
    model = model_dict["DiffModel"](model=student, classifier=teacher.fc, feature_dim=student.fc.in_features,
                                    target_dim=teacher.fc.in_features, smooth=0.7, num_sampling=1, stage="stage-2",
                                    beta=1.0, token_dim=64, cond_drop_prob=0.2, diffloss_w=width,
                                    diffusion_batch_mul=repeats).to(device).train()
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]  # its groups: no decay on the head and LN
    groups = [{"params": [p for n, p in named if "ln" in n or "diffloss" in n], "weight_decay": 0.0},
              {"params": [p for n, p in named if not ("ln" in n or "diffloss" in n)], "weight_decay": 0.05}]
    optimizer = torch.optim.AdamW(groups, betas=(0.9, 0.95), lr=1e-3)
    images = torch.randn(batch, 3, 32, 32, device=device)
    labels = torch.randint(0, 100, (batch,), device=device)
    return teacher, model, optimizer, images, labels


def step_function(teacher, model, optimizer, images, labels, total_steps: int = 187_440):
    count = [0]

    def step():
        with torch.no_grad():
            features, _ = teacher(images, is_feat=True, preact=False)
        diffusion, logits = model(images, y=labels, target_feature=features[-1])
        loss = diffusion + F.cross_entropy(logits, labels)
        loss.item(), diffusion.item()                       # logged every step
        logits.topk(5, 1)                                   # its accuracy meter
        optimizer.zero_grad()
        loss.backward()
        progress = count[0] / total_steps
        beta2 = 0.999 - 0.5 * (0.999 - 0.95) * (1 + math.cos(math.pi * progress))
        for group in optimizer.param_groups:
            group["betas"] = (group["betas"][0], beta2)
        optimizer.step()
        count[0] += 1
    return step


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", default=str(Path(__file__).resolve().parents[1] / ".orig"))
    p.add_argument("--batches", default="64,512")
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--repeats", type=int, default=30, help="M (diffusion_batch_mul)")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    device = torch.device(args.device)
    model_dict = load_original(Path(args.root))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # as its training script
    rows = []
    for batch in (int(b) for b in args.batches.split(",")):
        wall, kernels = wall_and_kernel_ms(step_function(*build(model_dict, batch, device, args.width, args.repeats)),
                                           device, args.steps, warmup=3)
        rows.append({"batch": batch, "method": "gendd", "step": "original implementation", "wall_ms": wall,
                     "kernel_ms": kernels, "images_s": batch / wall * 1e3})
        print(f"batch {batch}: {wall:.2f} ms/step, kernels {kernels if kernels is None else round(kernels, 2)} ms, "
              f"{batch / wall * 1e3:.0f} images/s", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps({"device": str(device), "width": args.width, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
