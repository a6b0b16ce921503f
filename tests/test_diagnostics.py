"""arc.diagnostics: the diagnostics behind the findings, checked on cases whose answers are known."""

from __future__ import annotations

import copy
import csv
import json
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from arc.data.synthrooms.clutter import kind_code
from arc.data.transforms import depth_to_unit
from arc.diagnostics import ceiling, depth_error, objective, patches, recipe, stage3_probe
from arc.diagnostics.layout import Workdir
from conftest_training import make_tiny_cache, tiny_params

N, H, W, MAX_DEPTH = 4, 16, 20, 10.0


class FixedOutput(nn.Module):
    """A 'depth net' that returns a fixed prediction (unit range), whatever its input."""

    def __init__(self, unit: torch.Tensor):
        super().__init__()
        self.unit = unit

    def forward(self, x):
        return self.unit[: len(x)]


def planted_split() -> tuple[depth_error.SplitArrays, torch.Tensor]:
    """Ground truth 1-4 m; a 6x8 light pool per image (15 % of the pixels); the prediction is
    1.1x the truth outside it and 2x inside, so every error and ratio is known."""
    gen = torch.Generator().manual_seed(0)
    gt = 1.0 + 3.0 * torch.rand(N, 1, H, W, generator=gen)  # 2x stays below MAX_DEPTH
    clutter = np.zeros((N, H, W), bool)
    for i in range(N):
        clutter[i, 2 + i:8 + i, 3 + 2 * i:11 + 2 * i] = True
    kinds = np.where(clutter, kind_code("light_pool"), 0).astype(np.uint8)
    factor = torch.where(torch.from_numpy(clutter)[:, None], torch.tensor(2.0), torch.tensor(1.1))
    pred = gt * factor
    split = depth_error.SplitArrays(torch.zeros(N, 3, H, W), gt, MAX_DEPTH, clutter, kinds)
    return split, pred


def test_log_error_maps_and_scale_invariance():
    gt = torch.full((2, 1, 3, 3), 4.0)
    gt[0, 0, 0, 0] = 0.0  # invalid pixel: no error there
    maps = depth_error.error_maps(gt * 2.0, gt)
    assert maps["log"][0, 0, 0] == 0.0
    assert np.allclose(maps["log"][0].ravel()[1:], math.log(2.0), atol=1e-6)
    assert np.allclose(maps["scale_invariant"], 0.0, atol=1e-6)  # a per-image scale is no error
    assert float(depth_error.scale_invariant_log_l1(gt * 3.0, gt)) == pytest.approx(0.0, abs=1e-6)
    pred = gt.clone()
    pred[1, 0, 1, 1] = 8.0
    # one of 9 pixels off by log 2: its centred error is log2 * 8/9, the others log2 / 9
    assert float(depth_error.scale_invariant_log_l1(pred, gt)) == pytest.approx(math.log(2) * (8 / 9 + 8 / 9) / 17, rel=1e-5)


def test_rms_log_box_smooth_and_removal_helpers():
    gt = np.array([[[1.0, 2.0], [0.0, 4.0]]])
    assert depth_error.rms_log(gt * math.e, gt) == pytest.approx(1.0)
    assert depth_error.rms_log(gt, gt, np.zeros_like(gt, bool)) != depth_error.rms_log(gt, gt, np.zeros_like(gt, bool))  # NaN
    error = np.zeros((1, 5, 5), np.float32)
    error[0, 2, 2] = 9.0
    smoothed = depth_error.box_smooth(error, 1)
    assert smoothed[0, 2, 2] == pytest.approx(1.0) and smoothed[0, 0, 0] == 0.0
    assert smoothed[0, 1, 1] == pytest.approx(1.0)  # a corner neighbour sees 9 / 9 cells
    score = np.arange(2 * 10, dtype=float).reshape(2, 1, 10)
    removed = depth_error.remove_largest(score, 0.8)
    assert removed.sum(axis=(1, 2)).tolist() == [2, 2] and removed[:, 0, -2:].all()
    clutter = np.zeros_like(removed)
    clutter[:, 0, -4:] = True
    assert depth_error.removal_iou(removed, clutter) == pytest.approx(0.5)
    kinds = np.where(clutter, kind_code("poster"), 0)
    assert depth_error.kind_recall(removed, kinds) == {"poster": pytest.approx(0.5)}


def test_error_ceiling_finds_the_planted_errors():
    split, pred = planted_split()
    depth = FixedOutput(depth_to_unit(pred, MAX_DEPTH))
    result = ceiling.error_ceiling(depth, split, 0.85, smooth=1)
    log = result["log"]
    assert log["ratios"] == {"light_pool": pytest.approx(math.log(2.0) / math.log(1.1), rel=1e-3)}
    raw = log["removals"][0]
    assert raw["removed"] == pytest.approx(0.15) and raw["iou"] == pytest.approx(1.0)
    assert raw["recall"] == {"light_pool": pytest.approx(1.0)}
    assert log["removals"][1]["iou"] == pytest.approx(1.0)  # a 3x3 box keeps a uniform block on top
    text = ceiling.format_ceiling(result, "real_val", split, 0.85, translated=True)
    assert "(through T)" in text and text.count("IoU with clutter") == 4


class BrightnessFooled(nn.Module):
    """Fixed D (unit output): the truth everywhere except where the input is bright."""

    def __init__(self, truth_unit: torch.Tensor):
        super().__init__()
        self.truth_unit = truth_unit

    def forward(self, x):
        return self.truth_unit + F.relu(x.mean(1, keepdim=True) - 0.5)


def test_objective_terms_and_free_optimum_on_a_planted_case():
    split, _ = planted_split()
    x = torch.full((N, 3, H, W), -0.5)
    x[torch.from_numpy(split.clutter)[:, None].expand(-1, 3, -1, -1)] = 1.0  # the clutter is bright
    split.x = x
    depth = BrightnessFooled(depth_to_unit(split.gt, MAX_DEPTH))
    result = objective.objective_optimum(depth, split, 0.85, 1.0, steps=60, cell=2)
    assert result["nothing removed"]["removed"] == 0.0
    # error only inside the bright clutter: removing it (zero fill) brings the depth term to 0
    assert result["nothing removed"]["depth_term"] > 0.05
    assert result["true clutter removed"]["depth_term"] == pytest.approx(0.0, abs=1e-6)
    assert result["true clutter removed"]["iou"] == 1.0
    assert result["free per-image optimum"]["iou"] > 0.6  # the optimum is the clutter here
    blur = objective.gaussian_blur(torch.ones(1, 3, 9, 9), 2.0)
    assert torch.allclose(blur, torch.ones_like(blur), atol=1e-6)  # a blur keeps a constant image
    assert "IoU with clutter 1.000" in objective.format_optimum(result)


def test_patches_change_only_the_patch():
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, (3, 24, 30, 3)).astype(np.uint8)
    positions = patches.patch_positions(3, 24, 30, seed=0)
    # the positions of the published runs: three draws per image, the first two used
    ref = np.random.default_rng(0)
    expected = []
    for _ in range(3):
        y, x, _ = ref.integers(0, 24 - 12), ref.integers(0, 30 - 16), ref.integers(0, 3)
        expected.append((int(y), int(x)))
    assert positions == expected
    inside = patches.patch_region(3, 24, 30, positions)
    assert inside.sum() == 3 * 12 * 16
    black = patches.patched(images, positions, "black")
    assert (black[inside] == 0).all() and (black[~inside] == images[~inside]).all()
    brighter = patches.patched(images, positions, "brighter")
    assert np.array_equal(brighter[inside], np.minimum(255, images[inside] * 2.0))
    other = patches.patched(images, positions, "other_img")
    y, x = positions[0]
    assert np.array_equal(other[0, y:y + 12, x:x + 16], images[1, y:y + 12, x:x + 16])
    neon = patches.patched(images, positions, "neon_stripes")
    assert np.array_equal(neon[0, y, x], patches.NEON_A) and np.array_equal(neon[0, y, x + 2], patches.NEON_B)
    with pytest.raises(ValueError, match="patch kind"):
        patches.patched(images, positions, "purple")


def test_recipe_real_val_picks_each_rows_last_stage(tmp_path):
    path = tmp_path / "training_curves.csv"
    rows = [  # run, seed, stage, panel_order, value; unselected and module rows are ignored
        ("mix", 0, "depth", 0, 0.30, 1), ("mix", 1, "depth", 0, 0.32, 1), ("mix", 0, "depth", 0, 0.99, 0),
        ("arc_t", 0, "depth", 0, 0.50, 1), ("arc_t", 0, "finetune", 2, 0.25, 1), ("arc_t", 0, "translator", 3, 0.9, 1),
    ]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["run", "seed", "stage", "panel_order", "value", "selected", "curve", "metric"])
        for run, seed, stage, order, value, selected in rows:
            w.writerow([run, seed, stage, order, value, selected, "val", "rms_log"])
    table = recipe.selected_real_val(path)
    assert table == {"mix": [0.30, 0.32], "arc_t": [0.25]}
    text = recipe.real_val_table({"a": table})
    assert "| mix | 0.3100 ± 0.0141 (2 seeds) |" in text and "| arc_t | 0.2500 (1 seed) |" in text


def test_workdir_layout_and_seed_check_numbers(tmp_path):
    work = Workdir(tmp_path, "synthrooms-indoor")
    assert work.checkpoint(3, "mix") == tmp_path / "runs" / "synthrooms-indoor" / "seed3" / "mix" / "checkpoint.pt"
    assert work.split("real_val") == tmp_path / "data" / "cache" / "synthrooms-indoor" / "real_val"
    for seed, (val, test) in enumerate([(0.2, 0.3), (0.4, 0.5)]):
        work.run_summary(seed, "mix").parent.mkdir(parents=True)
        work.run_summary(seed, "mix").write_text(json.dumps({"val": {"rms_log": val}}))
        work.metrics(seed, "mix").parent.mkdir(parents=True)
        work.metrics(seed, "mix").write_text(json.dumps({"metrics": {"rms_log": test}, "mask_iou": 0.1, "mask_logit_auc": 0.6}))
    assert recipe.row_numbers(work, [0, 1, 2], "mix") == ([0.2, 0.4], [0.3, 0.5])
    assert recipe.attention_quality(work, [0, 1], "mix") == ([0.1, 0.1], [0.6, 0.6])


def test_stage3_probe_math():
    assert float(stage3_probe.noisy_keep(torch.zeros(1), "gumbel")) == pytest.approx(1 - math.exp(-1))
    assert float(stage3_probe.noisy_keep(torch.zeros(1), "logistic")) == pytest.approx(0.5)
    assert float(stage3_probe.noisy_keep(torch.tensor([stage3_probe.GUMBEL_HALF]), "gumbel")) == pytest.approx(0.5)
    logits = torch.zeros(2, 1, 3, 3, requires_grad=True)
    assert stage3_probe.shift_derivative((3.0 * logits).sum(), logits) == pytest.approx(3.0 * 18)
    stats = stage3_probe.logit_stats(torch.tensor([-1.0, 0.0, 1.0, 2.0]), "logistic")
    assert stats["frac_logit_ge0"] == 0.75 and stats["logit_mean"] == 0.5


@pytest.fixture(scope="module")
def authors_stage(tmp_path_factory):
    from arc.training.stages import depth

    root = tmp_path_factory.mktemp("probe")
    params = tiny_params()
    params["training"]["attention"].update(objective="cyclegan", rho=0.99, mask_noise="gumbel", lambda_adversarial=0.0)
    cache = make_tiny_cache(root / "cache")
    depth.run(params, data_dir=cache, seed=0, out_dir=root / "mix", source="mix")
    return params, cache, root


def test_stage3_probe_records_every_step_without_changing_training(authors_stage):
    from arc.training import checkpoint as ckpt
    from arc.training.stages import attention

    params, cache, root = authors_stage
    depth_ckpt = root / "mix" / "checkpoint.pt"
    summary, probe = stage3_probe.run_probe(copy.deepcopy(params), data_dir=cache, depth=depth_ckpt, seed=0,
                                            out_dir=root / "probe")
    plain = attention.run(copy.deepcopy(params), data_dir=cache, seed=0, out_dir=root / "plain", depth=depth_ckpt,
                          resume=False)
    assert len(probe.steps) == summary["steps"] == plain["steps"] and len(probe.epochs) == 1
    step = probe.steps[0]
    assert {"logit_mean", "d_kl", "d_gan_r2s", "d_cycle", "d_cycle_mask_weight", "kl", "cycle"} <= set(step)
    assert 0.0 <= step["frac_logit_ge0"] <= 1.0 and all(math.isfinite(v) for v in step.values())
    assert 0.0 <= probe.epochs[0]["val_eval_keep_thr0"] <= 1.0
    # the probe only watches: the same A as the stage trained alone
    probed = ckpt.read_checkpoint(root / "probe" / "stage" / "checkpoint.pt")["modules"]["attention"]
    alone = ckpt.read_checkpoint(root / "plain" / "checkpoint.pt")["modules"]["attention"]
    assert all(torch.equal(probed["state_dict"][k], alone["state_dict"][k]) for k in alone["state_dict"])
    # the counterfactual (unmasked cycle) is a different training
    _, counter = stage3_probe.run_probe(copy.deepcopy(params), data_dir=cache, depth=depth_ckpt, seed=0,
                                        out_dir=root / "counter", cycle_mask=False)
    assert counter.steps[0]["d_cycle_mask_weight"] == 0.0
    assert counter.steps[-1]["cycle"] != probe.steps[-1]["cycle"]


class ChannelLogits(nn.Module):
    """An 'attention' whose logits are its input's first channel, with A's test-mask rule."""

    def __init__(self, keep_fraction=None):
        super().__init__()
        self.fraction = keep_fraction

    def keep_fraction_rule(self):
        return self.fraction

    def forward(self, x):
        return x[:, :1]


def test_frozen_bn_mask_stats_on_planted_logits():
    from arc.diagnostics.frozen_bn import attention_mask_stats

    clutter = np.zeros((2, 4, 5), bool)
    clutter[0, :2, :2] = True  # 4 of 20 pixels
    clutter[1, 0, :] = True  # 5 of 20
    x = torch.ones(2, 3, 4, 5)
    x[:, 0] = 1.0 + torch.arange(20.0).reshape(4, 5)  # distinct logits: no ties at a quantile
    x[:, 0][torch.from_numpy(clutter)] = -1.0 - torch.arange(9.0)
    stats = attention_mask_stats(ChannelLogits(), x, clutter)
    assert stats["iou"] == 1.0
    assert stats["keep"] == pytest.approx(31 / 40)
    assert (stats["keep_min"], stats["keep_max"]) == (pytest.approx(0.75), pytest.approx(0.8))
    # The recorded rho-quantile rule keeps 90 % of each image: 2 of 20 pixels removed, all clutter.
    stats = attention_mask_stats(ChannelLogits(0.9), x, clutter)
    assert stats["keep"] == pytest.approx(0.9)
    assert stats["iou"] == pytest.approx(4 / 9)  # removed 2 + 2 pixels, all inside the 9 clutter pixels


def test_frozen_bn_masks_trains_the_row_under_both_modes_and_shares_the_upstream_stages(tmp_path):
    from arc.diagnostics.frozen_bn import compare_frozen_bn

    params = tiny_params()
    cache = make_tiny_cache(tmp_path / "cache", counts={"real_val": 2})
    val = cache / "real_val"
    clutter = np.zeros((2, 32, 32), np.uint8)
    clutter[:, :8, :8] = 1  # the real images' blob (conftest_training.write_split)
    np.save(val / "clutter_mask.npy", clutter)
    manifest = json.loads((val / "manifest.json").read_text())
    manifest["arrays"]["clutter_mask"] = "clutter_mask.npy"
    (val / "manifest.json").write_text(json.dumps(manifest))
    rows = compare_frozen_bn(params, cache, [0], tmp_path / "out")
    from arc.training.rows import plan_row

    measured = [s.stage for s in plan_row(params, "arc_full") if s.stage in ("joint", "finetune")]
    assert "finetune" in measured
    assert [(r["frozen_bn"], r["stage"]) for r in rows] == [(mode, stage) for mode in ("eval", "train") for stage in measured]
    assert all(0.0 <= r["keep"] <= 1.0 and r["iou"] is not None for r in rows)
    folders = sorted(p.name for p in (tmp_path / "out" / "seed0").iterdir())
    # the shared stages once, the rest once per mode
    assert not any(name.startswith(("eval-", "train-")) and name.split("-", 1)[1] in {"mix", "translator"} for name in folders)
    assert any(name.startswith("eval-") for name in folders) and any(name.startswith("train-") for name in folders)


def test_twin_gain_scores_each_rows_networks_on_the_twins(tmp_path):
    import pandas as pd

    from arc.diagnostics.twin_gain import KeepEverything, twin_gains
    from arc.evaluation.predict import predict_checkpoint
    from arc.evaluation.protocols import get_protocol
    from arc.models.registry import build_model
    from arc.training.checkpoint import load_pipeline, module_record, save_selected
    from test_evaluation_fakes import write_fake_cache

    work = Workdir(tmp_path, "synthrooms-indoor")
    write_fake_cache(work.split("real_test"), n=6, height=16, width=16)
    torch.manual_seed(0)
    depth = build_model("depth_unet", base_width=4, num_downsamples=2, num_inception_blocks=1)
    with torch.no_grad():  # an untrained D is near constant: make it read its input
        for p in depth.parameters():
            p.normal_(0.0, 0.2)
    attention = build_model("attention_net", base_width=4, num_res_blocks=1)
    ckpt = work.checkpoint(0, "arc_full-rho0.85")
    save_selected(ckpt, stage="finetune", modules={"depth": module_record(depth), "attention": module_record(attention)},
                  meta={"row": "arc_full", "rho": 0.85, "max_depth": 10.0, "seed": 0})
    results = work.results_root() / "seed0" / "arc_full-rho0.85"
    predict_checkpoint(ckpt, work.split("real_test"), results, method="arc_full-rho0.85", seed=0,
                       protocol=get_protocol("synthrooms-indoor"), device="cpu")

    pipeline = load_pipeline(ckpt)
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():  # nothing removed: the pipeline with an all-keep mask, I changing nothing
        expected = pipeline(x, hard=True, mask=torch.ones(2, 1, 16, 16))["depth_unit"]
        assert torch.equal(KeepEverything(pipeline)(x)["depth_unit"], expected)

    rows = twin_gains(work, {"arc_full-rho0.85": "arc_full-rho0.85"}, [0], "synthrooms-indoor", tmp_path / "twin",
                      n_bootstrap=200)
    twin = pd.read_csv(tmp_path / "twin" / "seed0" / "arc_full-rho0.85_on_twin" / "per_sample.csv").set_index("name")
    captured = pd.read_csv(results / "per_sample.csv").set_index("name")
    assert len(rows) == 1 and rows[0]["baseline"] == "arc_full-rho0.85" and rows[0]["n_images"] == 6
    assert rows[0]["gain"] == pytest.approx((twin["rms_log"] - captured["rms_log"]).mean(), abs=1e-9)
    assert rows[0]["gain"] != 0.0 and rows[0]["ci95_low"] <= rows[0]["gain"] <= rows[0]["ci95_high"]


def line_across(capsys, main, tmp_path):
    capsys.readouterr()
    assert main(["diagnose", "pooled-gain", "--pair", "arc_full-rho0.85:mix_ft", "--bootstrap", "200",
                 str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    return [ln for ln in capsys.readouterr().out.splitlines() if "across instances" in ln][0]


def test_pooled_gain_pools_the_images_of_every_instance(tmp_path, capsys):
    from pathlib import Path

    from arc.cli import main
    from arc.evaluation.metrics import METRIC_KEYS
    from test_evaluation_fakes import write_fake_run

    def per_sample(values):
        return [{"name": f"img{i:03d}", **{k: v for k in METRIC_KEYS}, "n_valid": 10} for i, v in enumerate(values)]

    # two instances, two seeds each: the gains are averaged over an instance's seeds, then pooled
    planted = {"a": ([0.30, 0.40], [0.32, 0.38], [0.31, 0.41]), "b": ([0.20, 0.25, 0.30], [0.22, 0.25, 0.26], [0.18, 0.25, 0.30])}
    expected = []
    for name, (base, arc0, arc1) in planted.items():
        work = Workdir(tmp_path / name, "synthrooms-indoor")
        work.root.mkdir()
        (work.root / "params.yaml").write_text((Path(__file__).parents[1] / "configs" / "demo.yaml").read_text())
        for seed, arc in ((0, arc0), (1, arc1)):
            write_fake_run(work.results_root(), "mix_ft", seed, metrics={k: 0.3 for k in METRIC_KEYS}, per_sample=per_sample(base))
            write_fake_run(work.results_root(), "arc_full-rho0.85", seed, metrics={k: 0.3 for k in METRIC_KEYS}, per_sample=per_sample(arc))
        expected += [(a0 + a1) / 2 - b for b, a0, a1 in zip(base, arc0, arc1)]
    assert main(["diagnose", "pooled-gain", "--pair", "arc_full-rho0.85:mix_ft", "--bootstrap", "200",
                 str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    line = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("arc_full")][0]
    assert f"{np.mean(expected):+.4f}" in line and "5 images" in line

    from arc.reports.figures import pooled_gain_summary
    roots = [Workdir(tmp_path / n, "synthrooms-indoor").results_root() for n in planted]
    s = pooled_gain_summary(roots, "arc_full-rho0.85", "mix_ft", "synthrooms-indoor", n_bootstrap=200, seed=0)
    assert s["n"] == 5 and s["n_instances"] == 2 and s["mean_gain"] == pytest.approx(np.mean(expected), abs=1e-12)
    assert s["ci95_low"] <= s["mean_gain"] <= s["ci95_high"]

    # Across instances: each instance's mean weighs alike (a: 2 images, b: 3), the interval from both levels.
    from arc.reports.figures import instance_gain_summary
    per_instance = [np.mean(expected[:2]), np.mean(expected[2:])]
    i = instance_gain_summary(roots, "arc_full-rho0.85", "mix_ft", "synthrooms-indoor", n_bootstrap=400, seed=0)
    assert i["instance_means"] == pytest.approx(per_instance, abs=1e-12)
    assert i["mean_gain"] == pytest.approx(np.mean(per_instance), abs=1e-12) and i["mean_gain"] != pytest.approx(s["mean_gain"])
    assert min(expected) - 1e-12 <= i["ci95_low"] <= i["mean_gain"] <= i["ci95_high"] <= max(expected) + 1e-12
    assert i["ci95_high"] - i["ci95_low"] > 0
    assert i == instance_gain_summary(roots, "arc_full-rho0.85", "mix_ft", "synthrooms-indoor", n_bootstrap=400, seed=0)
    assert f"across instances {np.mean(per_instance):+.4f}" in line_across(capsys, main, tmp_path)

    capsys.readouterr()
    assert main(["diagnose", "pooled-gain", "--pair", "arc_full-rho0.85", str(tmp_path / "a")]) != 0
    captured = capsys.readouterr()
    assert "expected METHOD:BASELINE" in captured.out + captured.err and "instance" not in captured.out
    (tmp_path / "b" / "params.yaml").write_text((tmp_path / "a" / "params.yaml").read_text().replace(
        "synthrooms-indoor", "synthrooms-outdoor"))  # benchmark and protocol
    assert main(["diagnose", "pooled-gain", "--pair", "arc_full-rho0.85:mix_ft", str(tmp_path / "a"), str(tmp_path / "b")]) != 0
    captured = capsys.readouterr()
    assert "different protocols" in captured.out + captured.err


def test_zero_fill_scores_arc_fulls_networks_on_the_true_flat_mask_without_i(tmp_path, capsys):
    """The zero-filled step between the two flat oracles equals the flat oracle of the same networks
    saved without I, and its output folder pools like a workflow folder."""
    import json

    import numpy as np
    import pandas as pd

    from arc.cli import main
    from arc.data.synthrooms.clutter import kind_code
    from arc.diagnostics.zero_fill import ZERO_FILL, zero_fill_results
    from arc.errors import DataError
    from arc.evaluation.predict import predict_checkpoint
    from arc.evaluation.protocols import get_protocol
    from arc.models.registry import build_model
    from arc.training.checkpoint import module_record, save_selected
    from pipeline_copy import ROOT
    from test_evaluation_fakes import write_fake_cache

    work = Workdir(tmp_path / "level", "synthrooms-indoor")
    split = write_fake_cache(work.split("real_test"), n=6, height=16, width=16)
    manifest = json.loads((split / "manifest.json").read_text())
    clutter = np.load(split / "clutter_mask.npy")
    np.save(split / "clutter_kind.npy", (clutter * kind_code("shadow")).astype(np.uint8))  # all of it flat
    manifest["arrays"]["clutter_kind"] = "clutter_kind.npy"
    manifest["eval_only"].append("clutter_kind")
    (split / "manifest.json").write_text(json.dumps(manifest))

    torch.manual_seed(0)
    depth = build_model("depth_unet", base_width=4, num_downsamples=2, num_inception_blocks=1)
    with torch.no_grad():  # an untrained D is near constant: make it read its input (0.3: short of saturating)
        for p in depth.parameters():
            p.normal_(0.0, 0.3)
    attention = build_model("attention_net", base_width=4, num_res_blocks=1)
    inpainter = build_model("resnet_generator", base_width=4, num_downsamples=2, num_res_blocks=1)
    with torch.no_grad():  # a fill far from A's 0: the last convolution's bias saturates I's output near +1
        [*convs] = (m for m in inpainter.modules() if isinstance(m, torch.nn.Conv2d))
        convs[-1].bias.fill_(3.0)
    meta = {"row": "arc_full", "rho": 0.85, "max_depth": 10.0, "seed": 0}
    protocol = get_protocol("synthrooms-indoor")
    modules = {"depth": module_record(depth), "attention": module_record(attention)}
    for folder, method, extra in (("arc_full-rho0.85", "oracle_flat_mask", {"inpainter": module_record(inpainter)}),
                                  ("arc_t", "oracle_flat_mask_t", None), ("no_i", "oracle_flat_mask", {})):
        ckpt = work.checkpoint(0, folder)
        records = {"depth": module_record(depth)} if extra is None else {**modules, **extra}
        save_selected(ckpt, stage="finetune", modules=records, meta=meta)
        out = work.results_root() / "seed0" / method if folder != "no_i" else tmp_path / "no_i"
        predict_checkpoint(ckpt, work.split("real_test"), out, method=method, seed=0, protocol=protocol, device="cpu")

    with pytest.raises(DataError, match="oracle_flat_mask/metrics.json: missing"):
        zero_fill_results(Workdir(tmp_path / "empty", "synthrooms-indoor"), ROOT / "configs" / "demo.yaml", [0],
                          "synthrooms-indoor", tmp_path / "never")
    results = zero_fill_results(work, ROOT / "configs" / "demo.yaml", [0], "synthrooms-indoor", tmp_path / "zf")
    zero_fill = pd.read_csv(results / "seed0" / ZERO_FILL / "per_sample.csv").set_index("name")
    without_i = pd.read_csv(tmp_path / "no_i" / "per_sample.csv").set_index("name")
    with_i = pd.read_csv(results / "seed0" / "oracle_flat_mask" / "per_sample.csv").set_index("name")
    pd.testing.assert_frame_equal(zero_fill, without_i)
    assert (zero_fill["rms_log"] - with_i["rms_log"]).abs().max() > 1e-5  # I changed the removed pixels
    assert json.loads((results / "seed0" / ZERO_FILL / "metrics.json").read_text())["method"] == ZERO_FILL

    capsys.readouterr()
    assert main(["diagnose", "pooled-gain", "--pair", f"oracle_flat_mask:{ZERO_FILL}", "--bootstrap", "100",
                 str(tmp_path / "zf")]) == 0
    gain = float(capsys.readouterr().out.splitlines()[1].split()[3])
    assert gain == pytest.approx((with_i["rms_log"] - zero_fill["rms_log"]).mean(), abs=6e-5)  # printed to 4 places
