"""GenDD: Generative Distribution Distillation.

The package holds everything both training trees share: the diffusion head and its
samplers (`gendd.diffusion`, `gendd.head`), split tokenization and distribution
contraction (`gendd.tokens`), the distillers (`gendd.distillers`, chosen by name),
the baseline losses (`gendd.losses`), state-dict helpers (`gendd.state_dicts`) and the
training engine (`gendd.engine`).
"""

__version__ = "0.1.0"
