"""GenDD on CIFAR-100: the RepDistiller/CRD model zoo (`gendd_cifar.models`) and the loader
of the public teacher checkpoints (`gendd_cifar.teachers`)."""
