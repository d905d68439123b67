"""GenDD inside a training loop of your own (runs in seconds on CPU; docs/integration.md).

The teacher and the student are torchvision models (``torchvision.ops.MLP``) given the model
contract by ``gendd.adapters.wrap``; the loop is plain PyTorch. It shows the three things the
engine otherwise does for you: ``start_epoch``/``end_epoch`` around every epoch, the recipe's
schedules (linear warm-up then cosine learning rate, Adam's β2 rising from 0.95 to 0.999 with
``beta2_at``), and, with ``cached=True``, training from teacher features computed once
beforehand (no teacher module in the distiller: ``teacher_features=``), which gives the same
weights as running the teacher at every step.
"""
import torch
import torchvision
from torch import nn

from gendd.adapters import wrap
from gendd.distillers import build
from gendd.distillers.gendd import SamplingSettings
from gendd.engine import LRSchedule, beta2_at


def make_data(n: int = 2000, dim: int = 32, classes: int = 10):
    """Vectors with a learnable class signal; 80 % for training."""
    x, y = torch.randn(n, dim), torch.randint(0, classes, (n,))
    x[torch.arange(n), y] += 3.0
    cut = n * 4 // 5
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def pretrained_teacher(x, y, steps: int = 300) -> nn.Module:
    """A stand-in for your trained teacher: cross-entropy with Adam."""
    teacher = wrap(torchvision.ops.MLP(x.shape[1], [256, 64, 10]))
    opt = torch.optim.Adam(teacher.parameters(), 1e-3)
    for _ in range(steps):
        i = torch.randint(0, len(x), (128,))
        opt.zero_grad()
        nn.functional.cross_entropy(teacher(x[i]), y[i]).backward()
        opt.step()
    return teacher.eval()


def main(epochs: int = 4, steps_per_epoch: int = 25, batch: int = 64, cached: bool = False) -> dict:
    torch.manual_seed(0)
    (x, y), (x_test, y_test) = make_data()
    teacher = pretrained_teacher(x, y)
    student = wrap(torchvision.ops.MLP(x.shape[1], [32, 64, 10]))
    settings = dict(smooth=0.9, diffusion_batch_mul=8, width=128, depth=2)
    if cached:                        # teacher features computed once, e.g. stored beside the data set
        with torch.inference_mode():
            features = teacher.forward_features(x)
        distiller = build("gendd", student, teacher_fc=teacher.fc, **settings)
    else:
        distiller = build("gendd", student, teacher, **settings)

    optimizer = torch.optim.AdamW(distiller.param_groups(weight_decay=5e-2), lr=3e-3)
    lr_at = LRSchedule(3e-3, epochs, steps_per_epoch, "cosine", warmup_epochs=1)
    total_steps, order = epochs * steps_per_epoch, torch.Generator().manual_seed(0)
    history = []
    for epoch in range(1, epochs + 1):
        distiller.train()
        distiller.start_epoch(epoch)                                     # epoch-dependent loss weights
        for i in range(steps_per_epoch):
            step = (epoch - 1) * steps_per_epoch + i
            for group in optimizer.param_groups:
                group["lr"], group["betas"] = lr_at(step), (0.9, beta2_at(step, total_steps, beta2_min=0.95))
            idx = torch.randint(0, len(x), (batch,), generator=order)
            given = {"teacher_features": features[idx]} if cached else {}
            losses = distiller(x[idx], y[idx], **given)                 # {"diffusion": ..., "probe_ce": ...}
            optimizer.zero_grad(set_to_none=True)
            sum(losses.values()).backward()
            optimizer.step()
            history.append({k: v.item() for k, v in losses.items()})
        distiller.end_epoch(epoch)                                       # per-epoch statistics (IKL-KD's prior)

    distiller.eval()
    distiller.sampling = SamplingSettings(num_sampling=1, sampler="ddim", steps=10)
    with torch.no_grad():
        logits = distiller(x_test)                                       # {"sampled": ..., "probe": ...}
    accuracy = {k: 100.0 * (v.argmax(1) == y_test).float().mean().item() for k, v in logits.items()}
    print(f"first step {history[0]}, last step {history[-1]}, test accuracy (%) {accuracy}")
    return {"history": history, "accuracy": accuracy, "student": distiller.student.model.state_dict()}


if __name__ == "__main__":
    main()
