"""Export a run's student alone as a plain state_dict: torchvision's layout for the ResNets
(``torchvision.models.resnet18(num_classes=C).load_state_dict(torch.load(file))``), the
DKD/ReviewKD layout for MobileNetV1. Written atomically (temporary file, then rename). Also as
safetensors (the same key names) or ONNX (3 x image_size x image_size images -> logits), or
GenDD's whole sampled read-out (``--readout sampled``).

    python export_student.py --run save/gendd/<run> --out resnet18_student.pth
    python export_student.py --run <run> --out resnet18_student.onnx   # or .safetensors; --format overrides
"""
import sys

import torch

from gendd.export import ExportTree, export_main
from gendd.export_formats import write_atomically
from gendd_imagenet.models import build_model


def save(model, out, arch, meta):
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    write_atomically(out, lambda tmp: torch.save(state, tmp))


TREE = ExportTree(layout="a plain state_dict (torchvision's layout)", build=build_model, save_pth=save,
                  public_state=lambda model, arch: model.state_dict(),
                  image_shape=lambda config: (3, config.get("image_size", 224), config.get("image_size", 224)))

if __name__ == "__main__":
    sys.exit(export_main(None, TREE))
