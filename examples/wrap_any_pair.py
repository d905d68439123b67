"""Wrap any teacher/student pair with GenDD in about ten lines (runs in seconds on CPU).

A model only has to expose ``forward_features(x)`` (its pooled penultimate feature) and
``fc`` (its final linear layer). Here both are tiny MLPs on a synthetic 10-class problem;
swap in your own networks and data sets.
"""
import torch
from torch import nn
from torch.utils.data import TensorDataset

from gendd.distillers import build
from gendd.engine import DatasetSource, TrainConfig, eval_loader, fit, init_distributed


class Net(nn.Module):
    """Any backbone + a final linear layer, following the model contract."""

    def __init__(self, width: int, classes: int = 10):
        super().__init__()
        self.backbone = nn.Sequential(nn.Flatten(), nn.Linear(32, width), nn.ReLU(), nn.Linear(width, 64), nn.ReLU())
        self.fc = nn.Linear(64, classes)

    def forward_features(self, x):
        return self.backbone(x)

    def forward(self, x):
        return self.fc(self.forward_features(x))


def train_quickly(model: nn.Module, data: TensorDataset, steps: int = 300) -> nn.Module:
    """A stand-in teacher: plain cross-entropy training with Adam."""
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x, y = data.tensors
    for _ in range(steps):
        i = torch.randint(0, len(x), (128,))
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[i]), y[i]).backward()
        opt.step()
    return model.eval()


def main(run_dir: str = "runs/wrap_any_pair", epochs: int = 10) -> dict:
    torch.manual_seed(0)
    x, y = torch.randn(2000, 32), torch.randint(0, 10, (2000,))
    x[torch.arange(2000), y] += 3.0                      # a learnable signal
    train, test = TensorDataset(x[:1600], y[:1600]), TensorDataset(x[1600:], y[1600:])
    teacher, student = train_quickly(Net(width=256), train), Net(width=32)   # or load your teacher

    # --- the ten lines -------------------------------------------------------------------
    env = init_distributed()                                        # torchrun, or one process
    distiller = build("gendd", student, teacher, smooth=0.9, diffusion_batch_mul=8, width=128, depth=2)
    source = DatasetSource(train, batch_size=64, seed=0, rank=env.rank, world_size=env.world_size)
    cfg = TrainConfig(run_dir=run_dir, epochs=epochs, lr=1e-3, optimizer="adamw", weight_decay=5e-2,
                      beta2_min=0.95, lr_schedule="cosine", eval_every=epochs, headline="probe_top1")
    distiller.sampling.num_sampling, distiller.sampling.sampler, distiller.sampling.steps = 1, "ddim", 10
    summary = fit(distiller, source, eval_loader(test, 256, env.rank, env.world_size), cfg, env)
    logits = distiller.eval()(x[:8])                    # {"sampled": ..., "probe": ...}
    # ----------------------------------------------------------------------------------------
    print({k: tuple(v.shape) for k, v in logits.items()}, summary["last"])
    return summary


if __name__ == "__main__":
    main()
