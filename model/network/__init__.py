"""The colourisation network: its architecture registry, the U-Net and its parts, and the
weights files that hold them."""
