"""Reports over finished runs, run as modules from ``GenDD_cifar/`` (``python -m reports.<name>``):
``evaluate_runs`` (the CIFAR results table of ``sh/evaluate.sh``), and the tables and plots of the
Fashion-MNIST studies ``sh/quickstart.sh`` (``quickstart``), ``sh/evidence.sh`` (``evidence``),
``sh/budget_curve.sh`` (``budget``) and ``sh/payoff.sh`` (``payoff``); ``runs`` reads run folders."""
