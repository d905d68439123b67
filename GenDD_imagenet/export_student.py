"""Export a run's student alone as a plain state_dict: torchvision's layout for the ResNets
(``torchvision.models.resnet18(num_classes=C).load_state_dict(torch.load(file))``), the
DKD/ReviewKD layout for MobileNetV1. Written atomically (temporary file, then rename).

    python export_student.py --run save/gendd/<run> --out resnet18_student.pth
"""
import os
import sys

import torch

from gendd.export import export_main
from gendd_imagenet.models import build_model


def save(model, out, arch, meta):
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp"
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp)
    os.replace(tmp, out)


if __name__ == "__main__":
    sys.exit(export_main(None, "a plain state_dict (torchvision's layout)", build_model, save))
