"""Export a run's student alone as a public CIFAR zoo file (RepDistiller/CRD layout):
``{"model": state_dict, "epoch": E, "accuracy": the run's probe top-1, "source": the run's file}``,
the final layer under its public name, loadable by ``gendd_cifar.teachers.load_teacher`` or any
code that reads the public teacher files.

    python export_student.py --run save/student_gendd/S-resnet32_T-resnet110_cifar100_trial_0 --out student.pth
"""
import sys

from gendd.export import export_main, recorded_accuracy
from gendd_cifar.models import build_model
from gendd_cifar.teachers import save_model


def save(model, out, arch, meta):
    extra = {"epoch": meta["epoch"], "accuracy": recorded_accuracy(meta["metrics"]), "source": meta["source"]}
    save_model(model, out, arch, extra)


if __name__ == "__main__":
    sys.exit(export_main(None, "the public CIFAR zoo layout", build_model, save))
