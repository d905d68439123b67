"""Helpers shared by the tests of every group:

* ``toys``: tiny models and data sets with the student/teacher contract;
* ``reference_keys``: the original implementation's checkpoints' key layouts and state_dicts in them;
* ``fake_cifar``: a CIFAR-100 folder of random images;
* ``imagenet_smoke``: tiny ImageFolder trees, CC3M shards, teacher files, recorded launchers;
* ``launcher_tools``: running launchers with a recording interpreter, dry runs of their commands;
* ``fault_tools`` and ``fault_runner``: scripts run under injected faults (kills, full disks, NaNs).
"""
