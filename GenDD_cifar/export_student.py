"""Export a run's student alone as a public CIFAR zoo file (RepDistiller/CRD layout):
``{"model": state_dict, "epoch": E, "accuracy": the run's probe top-1, "source": the run's file}``,
the final layer under its public name, loadable by ``gendd_cifar.teachers.load_teacher`` or any
code that reads the public teacher files; or as safetensors (the same key names) or ONNX
(3x32x32 images -> logits); or GenDD's whole sampled read-out (``--readout sampled``).

    python export_student.py --run save/student_gendd/S-resnet32_T-resnet110_cifar100_trial_0 --out student.pth
    python export_student.py --run <run> --out student.onnx          # or .safetensors; --format overrides
    python export_student.py --run <run> --out readout.pth --readout sampled [--push_to_hub user/repo]
"""
import sys

from gendd.export import ExportTree, export_main, recorded_accuracy
from gendd_cifar.models import build_model
from gendd_cifar.teachers import save_model, to_public_names


def save(model, out, arch, meta):
    extra = {"epoch": meta["epoch"], "accuracy": recorded_accuracy(meta["metrics"]), "source": meta["source"]}
    save_model(model, out, arch, extra)


TREE = ExportTree(layout="the public CIFAR zoo layout", build=build_model, save_pth=save,
                  public_state=lambda model, arch: to_public_names(model.state_dict(), arch),
                  image_shape=lambda config: (3, 32, 32))   # Fashion-MNIST is padded to 3x32x32 too

if __name__ == "__main__":
    sys.exit(export_main(None, TREE))
