"""Training the per-edit decoder (model.network.edit) on the trunk's cached features.

The trunk (the release's U-Net) is frozen: its features of every training photo are
computed once (`features`), and the decoder trains on them with simulated hints
(`samples`), validated under the benchmark protocol (`validate`), by `train`; `export`
writes the app's weights file.
"""
