"""Every Table-2 row of params.yaml trains end to end on a tiny cache; row planning."""

from __future__ import annotations

import csv
import json

import pytest
import torch
import yaml

from arc.errors import ConfigError
from arc.models.pipeline import BranchMeanPipeline
from arc.training.checkpoint import load_pipeline
from arc.training.rows import final_checkpoint, plan_row, run_row
from conftest_training import REPO, make_tiny_cache, tiny_params

ROWS = list(yaml.safe_load((REPO / "params.yaml").read_text())["rows"])
ROLE = {"T": "translator", "A": "attention", "I": "inpainter"}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("rows")
    return make_tiny_cache(root / "cache"), root / "runs", tiny_params()


@pytest.mark.parametrize("row", ROWS)
def test_row_trains_end_to_end(workspace, row):
    cache, runs, params = workspace
    steps = plan_row(params, row)
    summaries = run_row(params, row, data_dir=cache, seed=0, root=runs)
    assert list(summaries) == [s.name for s in steps]
    for step in steps:
        out = runs / step.name
        for name in ("checkpoint.pt", "last.pt", "log.csv", "val.csv", "summary.json"):
            assert (out / name).is_file(), (step.name, name)
        summary = json.loads((out / "summary.json").read_text())
        assert summary["stage"] == step.stage and summary["steps"] > 0
        with open(out / "log.csv") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == summary["steps"] and "total" in rows[0]

    pipeline = load_pipeline(final_checkpoint(runs, steps), "cpu")
    modules = params["rows"][row]["modules"]
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    if isinstance(pipeline, BranchMeanPipeline):  # GASDA: D_real(x) and D_syn(T(x)), averaged
        assert [b.translator is not None for b in pipeline.branches] == [False, True]
        with torch.no_grad():
            branch_depths = [b(x)["depth_unit"] for b in pipeline.branches]
            assert torch.allclose(pipeline(x)["depth_unit"], (branch_depths[0] + branch_depths[1]) / 2)
    else:
        for letter, role in ROLE.items():
            assert (getattr(pipeline, role) is not None) == (letter in modules), (row, role)
    with torch.no_grad():
        out = pipeline(x)
    assert out["depth_unit"].shape == (2, 1, 32, 32) and torch.isfinite(out["depth_unit"]).all()
    final = json.loads((runs / steps[-1].name / "summary.json").read_text())
    assert final["selection"] == "best" and final["val"]["rms_log"] > 0
    if "A" in modules and "I" not in modules:
        # ARC:A / ARC:A&T: removed pixels reach D as zeros (M * x).
        removed = (out["mask"] == 0).expand_as(out["net_input"])
        assert torch.all(out["net_input"][removed] == 0)


def test_peer_plans_start_from_the_translator_stage_where_the_peer_does():
    params = tiny_params()
    assert [s.to_dict() for s in plan_row(params, "t2net")] == [{"stage": "t2net", "name": "t2net", "options": {}, "needs": {}}]
    crdoco = plan_row(params, "crdoco")
    assert [(s.stage, s.name) for s in crdoco] == [("translator", "translator"), ("crdoco", "crdoco")]
    assert crdoco[-1].needs == {"translator": "translator"}
    assert plan_row(params, "gasda")[-1].needs == {"translator": "translator"}


def test_arc_full_plan_names_and_upstreams():
    params = tiny_params()
    steps = plan_row(params, "arc_full")
    # A is trained against the D of training.attention.depth_row (here syn_only): a step of the row
    assert params["training"]["attention"]["depth_row"] == "syn_only"
    assert [(s.stage, s.name) for s in steps] == [
        ("depth", "mix"),
        ("translator", "translator"),
        ("depth", "syn_only"),
        ("attention", "attention_t-rho0.85"),
        ("inpainting", "inpainting_t-rho0.85"),
        ("finetune", "arc_full-rho0.85"),
    ]
    assert steps[3].needs == {"depth": "syn_only", "translator": "translator"}
    assert steps[4].needs == {"attention": "attention_t-rho0.85", "translator": "translator"}
    assert steps[5].needs == {
        "depth": "mix",
        "translator": "translator",
        "attention": "attention_t-rho0.85",
        "inpainter": "inpainting_t-rho0.85",
    }
    assert plan_row(tiny_params(), "arc_full", rho=0.9)[-1].name == "arc_full-rho0.9"
    assert plan_row(tiny_params(), "arc_t")[-1].name == "arc_t"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"modules": ["I"], "stages": ["depth", "inpainting", "finetune"]}, "needs A"),
        ({"modules": ["A", "T"], "stages": ["depth", "attention", "translator", "finetune"]}, "must come after"),
        ({"modules": ["A"], "stages": ["depth", "finetune"]}, "lacks 'attention'"),
        ({"modules": ["X"]}, "allowed modules"),
        ({"stages": ["translator", "depth"]}, "must start with 'depth'"),
        ({"rho_override": 1.0}, "out of range"),
        ({"modules": [], "stages": ["depth", "crdoco"]}, r"trained by the stages \['translator', 'crdoco'\]"),
        ({"modules": [], "stages": ["gasda"]}, r"trained by the stages \['translator', 'gasda'\]"),
        ({"modules": ["T"], "stages": ["translator", "gasda"]}, "no ARC modules"),
        ({"modules": [], "depth_source": "syn", "stages": ["t2net"]}, "expected 'mix'"),
        ({"modules": [], "stages": ["depth", "t2net", "finetune"]}, "must come last"),
    ],
)
def test_bad_rows_are_named(change, message):
    params = tiny_params()
    rho = change.pop("rho_override", None)
    params["rows"]["arc_a"].update(change)
    with pytest.raises(ConfigError, match=message) as info:
        plan_row(params, "arc_a", rho=rho)
    assert "rows.arc_a" in str(info.value) or "rho" in str(info.value)
