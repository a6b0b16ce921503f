"""Prediction over a cache split: results layout, masks, oracle input, reproducible scores."""

import csv
import json

import cv2
import numpy as np
import pytest

from arc.errors import DataError
from arc.evaluation.evaluate import evaluate_folders
from arc.evaluation.metrics import METRIC_KEYS
from arc.evaluation.predict import predict_split, rho_for_method
from arc.evaluation.protocols import get_protocol
from arc.evaluation.results import load_method_runs

try:
    from tests.test_evaluation_fakes import FakePipeline, open_split, write_fake_cache
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from test_evaluation_fakes import FakePipeline, open_split, write_fake_cache


@pytest.fixture
def split_dir(tmp_path):
    return write_fake_cache(tmp_path / "cache" / "real_test", n=5, height=8, width=12)


def _run(split_dir, out, method="arc_full-rho0.85", pipeline=None, **kw):
    return predict_split(pipeline or FakePipeline(), split_dir, out, method=method, seed=1,
                         protocol=get_protocol("synthrooms-indoor"), rho=0.85, batch_size=2, **kw)


def test_results_layout_and_metrics_json(split_dir, tmp_path):
    out = tmp_path / "results" / "synthrooms-indoor" / "seed1" / "arc_full-rho0.85"
    pipeline = FakePipeline()
    info = _run(split_dir, out, pipeline=pipeline)
    assert pipeline.calls and all(h is True for h in pipeline.calls)  # hard masks at evaluation
    stored = json.loads((out / "metrics.json").read_text())
    assert stored == info
    assert stored["method"] == "arc_full-rho0.85" and stored["seed"] == 1 and stored["rho"] == 0.85
    assert stored["benchmark"] == "synthrooms-indoor" and stored["protocol"] == "synthrooms-indoor"
    assert stored["n_images"] == 5 and set(stored["metrics"]) == set(METRIC_KEYS)
    names = [f"img{i:03d}" for i in range(5)]
    assert sorted(p.stem for p in (out / "pred").iterdir()) == names
    assert sorted(p.stem for p in (out / "mask").iterdir()) == names
    pred = np.load(out / "pred" / "img000.npy")
    assert pred.dtype == np.float16 and pred.shape == (8, 12)
    with open(out / "per_sample.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["name"] for r in rows] == names
    assert list(rows[0]) == ["name", *METRIC_KEYS, "n_valid"]
    # No temporary siblings left behind by the atomic directory swap.
    assert [p.name for p in out.parent.iterdir()] == [out.name]
    assert load_method_runs(out.parent.parent, "arc_full-rho0.85")[0].seed == 1


def test_mask_png_keep_rate_and_iou_with_true_clutter(split_dir, tmp_path):
    out = tmp_path / "r"
    info = _run(split_dir, out)
    split = open_split(split_dir)
    rgb = np.asarray(split.rgb)
    keep = rgb[..., 0] >= 128  # FakePipeline keeps pixels whose red value maps to >= 0 in [-1, 1]
    mask_png = np.stack([cv2.imread(str(out / "mask" / f"{n}.png"), cv2.IMREAD_UNCHANGED) for n in split.names])
    assert set(np.unique(mask_png)) <= {0, 255}
    assert np.array_equal(mask_png == 255, keep)
    clutter = np.asarray(split.array("clutter_mask")) > 0
    removed = ~keep
    assert info["keep_rate"] == pytest.approx(keep.mean())
    assert info["mask_iou"] == pytest.approx((removed & clutter).sum() / (removed | clutter).sum())


def test_scores_are_reproduced_by_evaluating_the_stored_predictions(split_dir, tmp_path):
    out = tmp_path / "r"
    info = _run(split_dir, out)
    split = open_split(split_dir)
    gt_dir = tmp_path / "gt"
    gt_dir.mkdir()
    for i, name in enumerate(split.names):
        np.save(gt_dir / f"{name}.npy", split.depth_m(i))
    again = evaluate_folders(out / "pred", gt_dir, get_protocol("synthrooms-indoor"), scale_tolerance=100)
    for key in METRIC_KEYS:
        assert again.metrics[key] == pytest.approx(info["metrics"][key], rel=1e-9, abs=1e-12)


def test_rows_without_attention_write_no_masks(split_dir, tmp_path):
    info = _run(split_dir, tmp_path / "mix", method="mix", pipeline=FakePipeline(with_mask=False))
    assert not (tmp_path / "mix" / "mask").exists()
    assert "keep_rate" not in info and "mask_iou" not in info


def test_oracle_reads_the_clutter_free_twin(split_dir, tmp_path):
    real = _run(split_dir, tmp_path / "mix", method="mix", pipeline=FakePipeline(with_mask=False))
    oracle = _run(split_dir, tmp_path / "oracle", method="oracle_declutter", pipeline=FakePipeline(with_mask=False))
    assert oracle["input_array"] == "clean_rgb" and real["input_array"] == "rgb"
    a = np.load(tmp_path / "mix" / "pred" / "img000.npy")
    b = np.load(tmp_path / "oracle" / "pred" / "img000.npy")
    assert not np.array_equal(a, b)  # fake depth depends on the input image; clean_rgb = 255 - rgb
    assert oracle["metrics"] != real["metrics"]


def test_oracle_without_clean_rgb_fails_clearly(tmp_path):
    split_dir = write_fake_cache(tmp_path / "c" / "real_test", with_clutter=False)
    with pytest.raises(DataError, match="clean_rgb"):
        _run(split_dir, tmp_path / "o", method="oracle_declutter", pipeline=FakePipeline(with_mask=False))
    assert not (tmp_path / "o").exists()
    info = _run(split_dir, tmp_path / "a")
    assert info["mask_iou"] is None and info["keep_rate"] > 0  # no clutter mask -> no IoU


def test_rho_for_method():
    params = {"rho": 0.85, "rho_sweep": [0.85, 0.9, 1e-05], "rows": {"mix": {"modules": []}, "arc_t": {"modules": ["T"]},
                                                                "arc_full": {"modules": ["A", "T", "I"]}}}
    # from the settings' plan, not parsed out of the folder name
    assert rho_for_method("arc_full-rho0.9", params) == 0.9
    assert rho_for_method("arc_full-rho1e-05", params) == 1e-05
    assert rho_for_method("arc_full-rho0.9", None) is None
    assert rho_for_method("arc_full", params) == 0.85
    assert rho_for_method("arc_t", params) is None
    assert rho_for_method("mix", params) is None


def test_predict_checkpoint_with_a_real_saved_pipeline(split_dir, tmp_path):
    """End to end with the training package's checkpoint format and the model registry."""
    from arc.evaluation.predict import predict_checkpoint
    from arc.models.registry import build_model
    from arc.training.checkpoint import module_record, save_selected

    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    depth = build_model("depth_unet", base_width=4, num_downsamples=2, num_inception_blocks=1)
    attention = build_model("attention_net", base_width=4, num_res_blocks=1)
    ckpt = tmp_path / "run" / "checkpoint.pt"
    save_selected(ckpt, stage="finetune", modules={"depth": module_record(depth), "attention": module_record(attention)},
                  meta={"row": "arc_a", "rho": 0.9, "max_depth": 10.0, "seed": 1})
    out = tmp_path / "res"
    info = predict_checkpoint(ckpt, split_dir, out, method="arc_a", seed=1,
                              protocol=get_protocol("synthrooms-indoor"), device="cpu")
    assert info["rho"] == 0.9 and info["checkpoint_meta"]["row"] == "arc_a"
    assert (out / "mask").is_dir() and 0.0 <= info["keep_rate"] <= 1.0
    pred = np.load(out / "pred" / "img000.npy").astype(np.float32)
    assert pred.shape == (8, 12) and pred.min() >= 0.0 and pred.max() <= 10.0

    save_selected(ckpt, stage="depth", modules={"depth": module_record(depth)}, meta={"max_depth": 80.0})
    with pytest.raises(DataError, match="max_depth 80.0"):
        predict_checkpoint(ckpt, split_dir, tmp_path / "res2", method="mix", seed=1,
                           protocol=get_protocol("synthrooms-indoor"), device="cpu")


def test_oracle_masks_remove_all_clutter_or_only_the_flat_kinds(tmp_path):
    from arc.data.synthrooms.clutter import kind_code
    from arc.errors import DataError
    from arc.evaluation.predict import true_clutter_keep, uses_true_clutter_mask

    kinds = np.array([[[0, kind_code("poster"), kind_code("objects"), kind_code("blinds_shadow")]]], np.uint8)
    clutter = (kinds > 0).astype(np.uint8)
    assert true_clutter_keep("oracle_mask", clutter, kinds, tmp_path).tolist() == [[[True, False, False, False]]]
    # an object keeps its pixels: its ground truth is the object, so removing it hides real geometry
    assert true_clutter_keep("oracle_flat_mask", clutter, kinds, tmp_path).tolist() == [[[True, False, True, False]]]
    with pytest.raises(DataError, match="clutter_kind"):
        true_clutter_keep("oracle_flat_mask", clutter, None, tmp_path)
    assert uses_true_clutter_mask("oracle_flat_mask") and not uses_true_clutter_mask("oracle_declutter")


def test_oracle_flat_mask_on_t_scores_a_pipeline_without_attention(split_dir, tmp_path):
    import torch

    from arc.data.synthrooms.clutter import kind_code
    from arc.models import ARCPipeline

    split = open_split(split_dir)
    clutter = np.asarray(split.array("clutter_mask"))
    kinds = np.where(clutter > 0, kind_code("shadow"), 0).astype(np.uint8)
    kinds[:, :, 0] = np.where(clutter[:, :, 0] > 0, kind_code("objects"), 0)  # one column of an object: kept
    np.save(split_dir / "clutter_kind.npy", kinds)
    manifest = json.loads((split_dir / "manifest.json").read_text())
    manifest["arrays"]["clutter_kind"] = "clutter_kind.npy"
    manifest["eval_only"].append("clutter_kind")
    (split_dir / "manifest.json").write_text(json.dumps(manifest))

    class MeanDepth(torch.nn.Module):  # depth follows the input, so a removed pixel shows in the score
        def forward(self, x):
            return 0.8 * x.mean(dim=1, keepdim=True)

    pipe = ARCPipeline(MeanDepth())
    info = predict_split(pipe, split_dir, tmp_path / "t", method="oracle_flat_mask_t", seed=0,
                         protocol=get_protocol("synthrooms-indoor"), batch_size=2)
    removed = (kinds == kind_code("shadow")).mean()
    assert info["keep_rate"] == pytest.approx(1.0 - removed)
    plain = predict_split(pipe, split_dir, tmp_path / "plain", method="arc_t", seed=0,
                          protocol=get_protocol("synthrooms-indoor"), batch_size=2)
    assert info["metrics"] != plain["metrics"]
    with pytest.raises(DataError, match="attention module"):
        predict_split(pipe, split_dir, tmp_path / "m", method="oracle_flat_mask", seed=0,
                      protocol=get_protocol("synthrooms-indoor"), batch_size=2)
