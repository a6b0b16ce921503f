"""Every training stage kind the paper presets use, at the presets' network widths and 240x320 input,
batch 1, one step (gasda: one per phase, finetune: one per module step), on CPU with 2 threads,
through the workflow's code path (arc/training/paper_size.py: plan_row + the stage's run): finite
losses, a checkpoint written, and every module in it rebuilt from it. The stage kinds come from
the presets' rows, so a new stage kind is covered when a preset uses it. At KITTI's 192x640 the D
stage runs one step (the networks are the same as NYU's; the input size is what differs).

Cost on the 2-core development machine, 2 threads (2026-12-02, authors' recipe with the joint stage):
about 7 min for the nine 240x320 stage runs (the same runs as benchmarks/bench_stage_steps.py:
416 s of stage time), 20 s for KITTI's D. Per-stage seconds: docs/performance.md, "## Paper-size runs"."""

from __future__ import annotations

import csv
import math

import pytest
import torch
import yaml

from arc.training.checkpoint import module_from_record, read_checkpoint
from arc.training.paper_size import covering_rows, run_stages, shrink_schedule, write_cache
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


def test_every_stage_kind_one_step_at_240x320(tmp_path):
    nyu = shrink_schedule(_preset("paper-nyu"), steps=1, device="cpu", threads=2)
    kinds = {s for p in PRESETS for row in _preset(p)["rows"].values() for s in row["stages"]}
    assert {s for row in nyu["rows"].values() for s in row["stages"]} == kinds  # both presets: the same rows
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
