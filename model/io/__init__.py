"""Files: loading and saving images (with ICC profiles, TIFF and 16-bit PNG), photo metadata,
atomic writes, folders of photos, output names and bundled resources."""
