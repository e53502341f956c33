"""Class rebalancing after Zhang et al. 2016: weights from the training data's colour prior.

p = the empirical distribution of ab over the 313 bins (nearest bin per pixel) in the
TRAINING photos; p~ = p smoothed by a Gaussian of sigma 5 in ab; the weight of bin q is
w_q proportional to ((1 - lambda) p~_q + lambda / Q)^-1, normalised so that the expected
weight under p~ is 1. Rare (saturated) colours thus count more in the cross-entropy, which
keeps the network from settling on the desaturated colours that dominate photos.

The counts are computed once (a 64-pixel thumbnail per photo) and saved as
colour_prior.json in the run folder; another run reuses the file via `rebalance_prior=`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from scipy.spatial import cKDTree
from tqdm import tqdm

from model.colour.bins import N_BINS, bin_centers
from model.colour.colorspace import rgb_to_lab
from model.io.atomic import atomic_write_bytes

PRIOR_FILE = "colour_prior.json"
PRIOR_FORMAT = "huebrush-colour-prior"
THUMB = 64


def bin_counts(ab: np.ndarray) -> np.ndarray:
    """(313,) pixel counts of ab values (..., 2) by nearest bin."""
    _, idx = cKDTree(bin_centers()).query(np.asarray(ab, np.float64).reshape(-1, 2))
    return np.bincount(idx, minlength=N_BINS).astype(np.float64)


def empirical_counts(
    files: Sequence[Path], thumb: int = THUMB, progress: bool = False
) -> np.ndarray:
    """(313,) ab-bin counts over all pixels of each photo's thumbnail (at most thumb px)."""
    counts = np.zeros(N_BINS, np.float64)
    for f in tqdm(files, desc="colour prior", unit="photo", disable=not progress):
        try:
            with Image.open(f) as im:
                im.draft("RGB", (thumb, thumb))
                im = im.convert("RGB")
                im.thumbnail((thumb, thumb))  # never enlarges: small photos count as they are
                rgb = np.asarray(im, dtype=np.float32) / 255.0
        except (OSError, ValueError):
            continue  # an unreadable file is skipped here as the data loader would fail it
        counts += bin_counts(rgb_to_lab(rgb)[..., 1:])
    return counts


def smooth(p: np.ndarray, sigma: float) -> np.ndarray:
    """p over the bins smoothed by a Gaussian of sigma (ab units); total mass is kept.

    Each bin's mass is spread over the bins by exp(-d^2 / 2 sigma^2), normalised per
    source bin, so mass at the gamut edge is not lost outside the 313 bins.
    """
    p = np.asarray(p, np.float64)
    if sigma <= 0:
        return p.copy()
    c = bin_centers().astype(np.float64)
    d2 = ((c[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    k = np.exp(-d2 / (2.0 * sigma**2))
    k /= k.sum(0, keepdims=True)  # column q' spreads the mass of source bin q'
    return k @ p


def rebalance_weights(p_smooth: np.ndarray, lam: float = 0.5) -> np.ndarray:
    """w_q ~ 1 / ((1 - lam) p~_q + lam / Q), scaled so that sum_q p~_q w_q = 1."""
    p = np.asarray(p_smooth, np.float64)
    p = p / p.sum()
    w = 1.0 / ((1.0 - lam) * p + lam / p.size)
    return w / (p * w).sum()


def prior_record(
    counts: np.ndarray, sigma: float, lam: float, source: dict[str, Any]
) -> dict[str, Any]:
    """The JSON record of a prior: counts, smoothed prior and weights, with provenance."""
    p = counts / max(counts.sum(), 1.0)
    ps = smooth(p, sigma)
    return {
        "format": PRIOR_FORMAT,
        "version": 1,
        **source,
        "sigma": sigma,
        "lambda": lam,
        "counts": [int(x) for x in counts],
        "prior": [float(x) for x in p],
        "smoothed": [float(x) for x in ps],
        "weights": [float(x) for x in rebalance_weights(ps, lam)],
    }


def load_counts(path: str | Path) -> np.ndarray:
    """The raw bin counts of a saved prior (smoothing and weights are redone from them)."""
    rec = json.loads(Path(path).read_text())
    if rec.get("format") != PRIOR_FORMAT or len(rec.get("counts", [])) != N_BINS:
        raise ValueError(f"{path}: not a {PRIOR_FORMAT} file")
    return np.asarray(rec["counts"], np.float64)


def class_weights(
    files: Sequence[Path],
    run_dir: Path,
    sigma: float = 5.0,
    lam: float = 0.5,
    reuse: str | Path = "",
    save: bool = True,
    progress: bool = False,
) -> np.ndarray:
    """(313,) rebalancing weights for a run, computed once and kept in run_dir.

    Counts come from `reuse` if given, else from run_dir's saved prior (a resumed run), else
    from the training photos; the smoothing and weights follow this run's sigma and lambda.
    """
    own = run_dir / PRIOR_FILE
    if reuse:
        counts = load_counts(reuse)
        src = {**_provenance(reuse), "reused_from": str(Path(reuse).resolve())}
    elif own.is_file():
        counts, src = load_counts(own), _provenance(own)
    else:
        counts = empirical_counts(files, THUMB, progress)
        src = {"files": len(files), "thumb": THUMB}
    rec = prior_record(counts, sigma, lam, src)
    if save:
        atomic_write_bytes(own, (json.dumps(rec) + "\n").encode())
    return np.asarray(rec["weights"], np.float64)


def _provenance(path: str | Path) -> dict[str, Any]:
    rec = json.loads(Path(path).read_text())
    return {k: rec[k] for k in ("files", "thumb", "reused_from") if k in rec}
