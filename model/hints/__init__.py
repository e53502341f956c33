"""User hints: the hint document and its file format, their encoding for the network, and how
points are placed (anchors, strokes)."""
