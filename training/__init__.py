"""Training, evaluation and benchmarks of the Huebrush network and its research variants."""

# The research variants register their architectures (model.network.registry) on import, so
# whatever part of training runs, the loader and the training config know them by name.
from training import variants  # noqa: F401
