"""The decoder under the benchmark protocol while it trains: PSNR at N points on `val/`
photos, and the locality of one point that disagrees with the photo (as
`huebrush-bench locality` measures it on the finished network)."""

from __future__ import annotations

import numpy as np
import torch

from model.hints.encoding import GLOBAL_DIM, encode_points
from model.network.edit import EditHead
from model.network.unet import ColorNet
from training.bench.locality import locality_of
from training.evaluate import load_eval_images, points_for, psnr, to_labs, with_ab

SIZE = 256


class Validator:
    """The trunk's outputs for the photos, computed once; `run` scores a decoder on them."""

    def __init__(self, trunk: ColorNet, root: str, limit: int, seed: int = 0) -> None:
        self.images = load_eval_images(root, limit)
        self.labs = to_labs(self.images)
        self.seed = seed
        self.cache = []
        empty = torch.zeros(1, 3, SIZE, SIZE), torch.zeros(1, GLOBAL_DIM)
        for lab in self.labs:
            L = torch.from_numpy(lab[..., 0])[None, None]
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
                x10, prior, c7, c8 = trunk.trunk(L, *empty)
                base = trunk.head_ab(x10, prior)
            self.cache.append((L.clone(), c7.float(), c8.float(), base.float()))

    @torch.no_grad()
    def run(self, head: EditHead, points: tuple[int, ...] = (1, 10)) -> dict[str, float]:
        head.eval()
        res: dict[str, float] = {}
        glob = torch.zeros(1, GLOBAL_DIM)
        for n in points:
            scores = []
            for i, (L, c7, c8, base) in enumerate(self.cache):
                pf = head.photo(L, c7, c8, base)
                pts = points_for(self.labs[i][..., 1:], n, self.seed, i)
                ab, _ = head(pf, encode_points(pts, SIZE, SIZE)[None], glob)
                scores.append(psnr(with_ab(self.labs[i], ab[0]), self.images[i]))
            res[f"psnr{n}"] = float(np.mean(scores))
        near, rest, same = [], [], []
        for i, (L, c7, c8, base) in enumerate(self.cache):
            pf = head.photo(L, c7, c8, base)

            def predict(pts: list, pf=pf) -> np.ndarray:  # type: ignore[no-untyped-def]
                ab, _ = head(pf, encode_points(pts, SIZE, SIZE)[None], glob)
                return ab[0].permute(1, 2, 0).numpy()

            m = locality_of(predict, self.labs[i][..., 1:], self.seed, i)
            near.append(m.near)
            rest.append(m.rest)
            same.append(m.same)
        res.update(near=float(np.mean(near)), rest=float(np.mean(rest)), same=float(np.mean(same)))
        head.train()
        return res
