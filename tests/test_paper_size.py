"""Paper size in two halves, both at the presets' input size (240x320; KITTI's D at 192x640), on CPU
with 2 threads:
- every network of the paper presets at its paper width (the authors' architectures, width 64) takes
  one train-mode forward, backward and Adam step at batch 1: finite gradients and weights, the output
  shapes ``arc models summary`` reports;
- every training stage kind the presets use runs one step at batch 1 through the workflow's code path
  (arc/training/paper_size.py: plan_row + the stage's run) with the networks narrowed to width 4:
  finite losses, a checkpoint written, every module in it rebuilt from it. The stage kinds come from
  the presets' rows, so a new stage kind is covered when a preset uses it.
The stages' code sees only the input size (crops, mask pools, flips, the inpainting D's FC layer), the
networks see the width too; running each stage at full width as well would cost about 7 minutes
here and is what benchmarks/bench_stage_steps.py measures (docs/performance.md "## Paper-size runs").

Cost on the 2-core development machine: docs/performance.md, "## The tests"."""

from __future__ import annotations

import csv
import math

import pytest
import torch
import yaml

from arc.config import benchmark_size
from arc.models.cli import SUMMARY_ROLES, summarize
from arc.training.checkpoint import module_from_record, read_checkpoint
from arc.training.paper_size import covering_rows, narrow_networks, run_stages, shrink_schedule, write_cache
from arc.training.stages.common import build_network
from pipeline_copy import ROOT

pytestmark = pytest.mark.paper_size
PRESETS = ("paper-nyu", "paper-kitti")


def _preset(name: str) -> dict:
    return yaml.safe_load((ROOT / "configs" / f"{name}.yaml").read_text())


def _check_stage_folder(folder) -> None:
    with open(folder / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, f"{folder}/log.csv has no training step"
    for row in rows:
        for key, value in row.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            assert math.isfinite(number), f"{folder.name}: {key} = {value}"
    data = read_checkpoint(folder / "checkpoint.pt", needed_for="the paper-size test")
    assert data["modules"], folder
    for role, record in data["modules"].items():
        module = module_from_record(record, path=folder / "checkpoint.pt", role=role)
        assert all(torch.isfinite(p).all() for p in module.parameters()), f"{folder.name}: {role}"


@pytest.fixture(autouse=True)
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def nyu_summary():
    return summarize(_preset("paper-nyu"))  # shapes on the meta device: no compute


@pytest.mark.parametrize("role", list(SUMMARY_ROLES))
def test_every_network_at_paper_width_trains_one_step_at_240x320(role, nyu_summary):
    params = _preset("paper-nyu")
    height, width = benchmark_size(params)
    torch.manual_seed(0)
    net = build_network(params, SUMMARY_ROLES[role]).train()
    x = torch.rand(1, 3, height, width)
    out = net(x, (torch.rand(1, 1, height, width) > 0.5).float()) if role == "inpaint_discriminator" else net(x)
    assert list(out.shape) == nyu_summary[role]["output"], role
    out.float().pow(2).mean().backward()
    # The authors' inpainting D keeps their class head fc2, which their training never calls.
    unused = {n for n, p in net.named_parameters() if p.grad is None}
    assert unused == ({"fc2.weight"} if role == "inpaint_discriminator" else set()), (role, unused)
    assert all(torch.isfinite(p.grad).all() for n, p in net.named_parameters() if n not in unused), role
    torch.optim.Adam(net.parameters(), lr=1e-4, betas=(0.5, 0.999)).step()
    assert all(torch.isfinite(p).all() for p in net.parameters()), role


def test_every_stage_kind_one_step_at_240x320(tmp_path):
    nyu = narrow_networks(shrink_schedule(_preset("paper-nyu"), steps=1, device="cpu", threads=2), width=4)
    kinds = {s for p in PRESETS for row in _preset(p)["rows"].values() for s in row["stages"]}
    assert {s for row in nyu["rows"].values() for s in row["stages"]} == kinds  # both presets: the same rows
    assert benchmark_size(nyu) == (240, 320)
    runs = run_stages(nyu, write_cache(tmp_path / "cache", nyu, frames=1), tmp_path / "runs", covering_rows(nyu))
    assert {r.stage for r in runs} == kinds
    for run in runs:
        assert 1 <= run.steps <= 2, run
        _check_stage_folder(tmp_path / "runs" / run.name)


def test_depth_one_step_at_kitti_size(tmp_path):
    kitti = shrink_schedule(_preset("paper-kitti"), steps=1, device="cpu", threads=2)
    assert (kitti["data"]["real_size"]["height"], kitti["data"]["real_size"]["width"]) == (192, 640)
    kitti["rows"] = {"mix": kitti["rows"]["mix"]}
    [run] = run_stages(kitti, write_cache(tmp_path / "cache", kitti, frames=1), tmp_path / "runs", ["mix"])
    assert run.stage == "depth" and run.steps == 1
    _check_stage_folder(tmp_path / "runs" / run.name)
