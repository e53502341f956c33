import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from model.network.weights import load_network
from tests.conftest import photo
from tests.unit.test_training import TINY_RUN
from training.cli import main as train_main
from training.config import TrainConfig
from training.ema import WeightAverage
from training.loop import FINAL_RAW


def _net() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3))


def test_the_average_follows_the_weights_at_its_decay() -> None:
    net = _net()
    avg = WeightAverage(net, decay=0.9)
    start = net[0].weight.detach().clone()
    assert not any(p.requires_grad for p in avg.net.parameters())
    # Warm-up: the first update moves 90 % of the way (d = 1/10), not 10 %.
    with torch.no_grad():
        net[0].weight.add_(1.0)
        net[1].running_mean.fill_(2.0)
    avg.update(net)
    torch.testing.assert_close(avg.net[0].weight, start + 0.9)
    torch.testing.assert_close(avg.net[1].running_mean, torch.full((3,), 2.0))  # copied
    assert int(avg.net[1].num_batches_tracked) == int(net[1].num_batches_tracked)
    # Later updates use the decay itself.
    avg.updates = 1000
    before = avg.net[0].weight.clone()
    with torch.no_grad():
        net[0].weight.add_(5.0)
    avg.update(net)
    torch.testing.assert_close(avg.net[0].weight, 0.9 * before + 0.1 * net[0].weight)


def test_the_average_round_trips_through_its_state() -> None:
    net = _net()
    avg = WeightAverage(net, decay=0.99)
    with torch.no_grad():
        net[0].weight.mul_(3.0)
    for _ in range(4):
        avg.update(net)
    other = WeightAverage(_net(), decay=0.99)
    other.load_state_dict(avg.state_dict())
    assert other.updates == 4 and other.rate() == avg.rate()
    torch.testing.assert_close(other.net[0].weight, avg.net[0].weight)


@pytest.mark.parametrize("decay", [-0.1, 1.0])
def test_decays_outside_zero_one_are_refused(decay: float) -> None:
    with pytest.raises(ValueError):
        WeightAverage(_net(), decay)
    with pytest.raises(ValueError):
        TrainConfig(ema=decay)


def test_a_run_with_an_average_saves_and_resumes_it(tmp_path: Path) -> None:
    data = tmp_path / "train"
    data.mkdir()
    for i in range(6):
        Image.fromarray(photo(48, 64, seed=i)).save(data / f"c{i}.jpg")
    run = tmp_path / "run"
    args = ["--data", str(data), "--val", str(data), "--out", str(run), "--no-progress"]
    # A high learning rate so raw and averaged weights part visibly within a few steps.
    assert train_main([*args, "steps=4", "ema=0.5", "lr=0.01", *TINY_RUN]) == 0
    ck = torch.load(run / "last.pt", weights_only=True)
    assert ck["ema"]["updates"] == 4
    raw, kept = ck["model"], ck["ema"]["model"]
    key = next(k for k, v in raw.items() if v.is_floating_point() and v.ndim == 4)
    assert not torch.equal(raw[key], kept[key])
    # What the run saves as final is the average, not the raw weights.
    final = load_network(run / "final.safetensors").state_dict()
    np.testing.assert_allclose(final[key].float(), kept[key].float(), atol=2e-3, rtol=1e-2)
    assert not torch.allclose(final[key].float(), raw[key].float(), atol=2e-3, rtol=1e-2)
    # ... and the raw weights go beside it, for a next stage that starts from them.
    final_raw = load_network(run / FINAL_RAW).state_dict()
    np.testing.assert_allclose(final_raw[key].float(), raw[key].float(), atol=2e-3, rtol=1e-2)
    vals = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    vals = [r for r in vals if r.get("val")]
    assert [r["step"] for r in vals] == [2, 4]
    assert all(set(r["psnr"]) == set(r["psnr_raw"]) == {"0", "5"} for r in vals)

    assert train_main([*args, "--resume", "steps=6"]) == 0
    ck = torch.load(run / "last.pt", weights_only=True)
    assert ck["step"] == 6 and ck["ema"]["updates"] == 6  # carried on, not restarted
