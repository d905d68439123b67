"""Data preparation tools (the ``sh/prepare_*.sh`` and ``sh/check_imagenet_lt.sh`` scripts run them):
standard library only, so that they start fast and need neither torch nor a GPU."""
