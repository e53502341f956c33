"""A 16-bit PNG writer: Pillow can only write 16-bit grey."""

from __future__ import annotations

import struct
import zlib

import numpy as np

from model.io.pixels import CHUNK_PIXELS

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_IDAT_BYTES = 1 << 20

COMPRESS_TEXT_OVER = 1024


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png_text_chunk(key: str, value: str) -> bytes:
    keyword = key.encode("latin-1")
    compress = len(value) > COMPRESS_TEXT_OVER
    try:
        latin = value.encode("latin-1")
    except UnicodeEncodeError:
        text = value.encode("utf-8")
        if compress:
            text = zlib.compress(text)
        # iTXt: keyword, NUL, compression flag, method, language tag NUL, translated key NUL.
        return _png_chunk(b"iTXt", keyword + b"\0" + bytes([compress, 0]) + b"\0\0" + text)
    if compress:
        return _png_chunk(b"zTXt", keyword + b"\0\0" + zlib.compress(latin))
    return _png_chunk(b"tEXt", keyword + b"\0" + latin)


def _png_filter(cur: np.ndarray, prev_row: np.ndarray, bpp: int) -> np.ndarray:
    """Filter rows (n, stride) of raw bytes, choosing per row the filter with the smallest sum
    of absolute signed bytes (the usual libpng heuristic); returns (n, 1 + stride)."""
    n, stride = cur.shape
    up = np.empty_like(cur)
    up[0] = prev_row
    up[1:] = cur[:-1]
    left = np.zeros_like(cur)
    left[:, bpp:] = cur[:, :-bpp]
    up_left = np.zeros_like(cur)
    up_left[:, bpp:] = up[:, :-bpp]
    a, b, c = (x.astype(np.int16) for x in (left, up, up_left))
    pa = np.abs(b - c)
    pb = np.abs(a - c)
    pc = np.abs(a + b - 2 * c)
    pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, up_left))
    del a, b, c, pa, pb, pc
    candidates = np.stack([cur, cur - left, cur - up, cur - pred])  # uint8 wraps mod 256
    score = np.abs(candidates.view(np.int8).astype(np.int16)).sum(axis=2, dtype=np.int64)
    best = score.argmin(axis=0)
    out = np.empty((n, stride + 1), np.uint8)
    out[:, 0] = np.array([0, 1, 2, 4], np.uint8)[best]  # None, Sub, Up, Paeth
    out[:, 1:] = candidates[best, np.arange(n)]
    return out


def encode_png16(
    pixels: np.ndarray,
    icc: bytes | None,
    meta: dict[str, str],
    extra: list[tuple[bytes, bytes]],
) -> bytes:
    """A 16-bit PNG (gray, gray+alpha, RGB or RGBA); Pillow can only write 16-bit gray."""
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    bpp = 2 * channels
    stride = width * bpp
    parts = [
        _PNG_SIGNATURE,
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)),
    ]
    if icc:
        parts.append(_png_chunk(b"iCCP", b"ICC Profile\0\0" + zlib.compress(icc)))
    parts.extend(_png_chunk(kind, data) for kind, data in extra)
    parts.extend(_png_text_chunk(k, v) for k, v in meta.items())

    compressor = zlib.compressobj(6)
    compressed: list[bytes] = []
    prev_row = np.zeros(stride, np.uint8)
    rows_per_chunk = max(1, CHUNK_PIXELS // max(1, width * channels))
    for r0 in range(0, height, rows_per_chunk):
        block = pixels[r0 : r0 + rows_per_chunk].astype(">u2")  # PNG is big-endian
        raw = block.view(np.uint8).reshape(block.shape[0], stride)
        compressed.append(compressor.compress(_png_filter(raw, prev_row, bpp)))  # type: ignore[arg-type]
        prev_row = raw[-1].copy()
    compressed.append(compressor.flush())
    idat = b"".join(compressed)
    del compressed
    for i in range(0, len(idat), _IDAT_BYTES):
        parts.append(_png_chunk(b"IDAT", idat[i : i + _IDAT_BYTES]))
    parts.append(_png_chunk(b"IEND", b""))
    return b"".join(parts)
