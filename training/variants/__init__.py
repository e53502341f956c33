"""The research variants that train beside the Huebrush network, each after its paper.

Importing this package registers them in model.network.registry (the app's network is
registered there already), so the training loop, the weights loader and the benches know
them by name. The app never imports them: model does not import training.
"""

import model.network.unet  # noqa: F401  (the app's network first: registration order)
from training.variants import ae, classification, fusion, koala, pix2pix  # noqa: F401
