"""`arc evaluate`: round trip on .npy and 16-bit .png files, and its errors."""

import json

import cv2
import numpy as np
import pytest

from arc.cli import main
from arc.errors import DataError
from arc.evaluation.evaluate import evaluate_folders
from arc.evaluation.metrics import aggregate_sums, metric_sums
from arc.evaluation.protocols import get_protocol


def _scene(seed: int, shape=(6, 8)):
    rng = np.random.default_rng(seed)
    gt = rng.uniform(1.0, 9.0, size=shape).astype(np.float32)
    gt[0, :3] = 0.0  # invalid pixels
    pred = (gt * rng.uniform(0.8, 1.3, size=shape)).astype(np.float32)
    pred[0, :3] = 5.0
    return pred, gt


def _write_png_mm(path, depth_m):
    assert cv2.imwrite(str(path), np.round(depth_m * 1000).astype(np.uint16))


@pytest.fixture
def folders(tmp_path):
    pred_dir, gt_dir = tmp_path / "pred", tmp_path / "gt"
    pred_dir.mkdir()
    gt_dir.mkdir()
    scenes = {f"s{i}": _scene(i) for i in range(3)}
    for name, (pred, gt) in scenes.items():
        np.save(pred_dir / f"{name}.npy", pred)
        _write_png_mm(gt_dir / f"{name}.png", gt)
    return pred_dir, gt_dir, scenes


def _expected(scenes, protocol_name):
    protocol = get_protocol(protocol_name)
    sums = []
    for pred, gt in scenes.values():
        gt_mm = np.round(gt * 1000).astype(np.uint16).astype(np.float32) * np.float32(0.001)
        sums.append(metric_sums(protocol.clamp_prediction(pred), gt_mm, protocol.eval_mask(gt_mm)))
    return aggregate_sums(np.stack(sums), protocol.pooling)


def test_round_trip_npy_pred_png_gt_json(folders, capsys):
    pred_dir, gt_dir, scenes = folders
    code = main(["evaluate", "--pred", str(pred_dir), "--gt", str(gt_dir), "--protocol", "synthrooms-indoor",
                 "--gt-scale", "0.001", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_images"] == 3 and out["protocol"] == "synthrooms-indoor"
    expected = _expected(scenes, "synthrooms-indoor")
    for key, value in expected.items():
        assert out["metrics"][key] == pytest.approx(value, rel=1e-6)


def test_png_predictions_with_fraction_scale_and_text_output(folders, tmp_path, capsys):
    _, gt_dir, scenes = folders
    png_pred = tmp_path / "png_pred"
    png_pred.mkdir()
    for name, (pred, _) in scenes.items():
        assert cv2.imwrite(str(png_pred / f"{name}.png"), np.round(pred * 256).astype(np.uint16))
    code = main(["evaluate", "--pred", str(png_pred), "--gt", str(gt_dir), "--protocol", "nyu-paper",
                 "--pred-scale", "1/256", "--gt-scale", "0.001"])
    assert code == 0
    text = capsys.readouterr().out
    assert "nyu-paper" in text and "RMS-log" in text
    expected = _expected({k: (np.round(p * 256) / 256, g) for k, (p, g) in scenes.items()}, "nyu-paper")
    assert f"Rel {expected['abs_rel']:.4f}" in text


def test_missing_names_are_listed(folders, capsys):
    pred_dir, gt_dir, _ = folders
    (pred_dir / "s1.npy").unlink()
    np.save(pred_dir / "extra.npy", np.ones((6, 8), np.float32))
    with pytest.raises(DataError, match=r"s1.*extra|no prediction.*s1"):
        evaluate_folders(pred_dir, gt_dir, get_protocol("synthrooms-indoor"), gt_scale=0.001)
    code = main(["evaluate", "--pred", str(pred_dir), "--gt", str(gt_dir), "--protocol", "synthrooms-indoor",
                 "--gt-scale", "0.001"])
    err = capsys.readouterr().err
    assert code == 2 and "s1" in err and "extra" in err


def test_shape_mismatch_lists_offender_and_shapes(folders):
    pred_dir, gt_dir, _ = folders
    np.save(pred_dir / "s2.npy", np.ones((3, 4), np.float32))
    with pytest.raises(DataError, match=r"s2 \(pred \(3, 4\) vs gt \(6, 8\)\)"):
        evaluate_folders(pred_dir, gt_dir, get_protocol("synthrooms-indoor"), gt_scale=0.001)


def test_scale_mismatch_names_both_medians(folders):
    pred_dir, gt_dir, _ = folders
    # Ground truth read without its millimetre scale: values 1000x too large.
    with pytest.raises(DataError, match="16-bit PNG depth needs a stated scale"):
        evaluate_folders(pred_dir, gt_dir, get_protocol("synthrooms-indoor"))
    with pytest.raises(DataError, match=r"scales differ: pred median [0-9.]+ m vs gt median [0-9.]+ m.*--pred-scale"):
        evaluate_folders(pred_dir, gt_dir, get_protocol("synthrooms-indoor"), gt_scale=1.0)


def test_eight_bit_png_is_rejected(folders):
    pred_dir, gt_dir, _ = folders
    assert cv2.imwrite(str(gt_dir / "s0.png"), np.full((6, 8), 7, np.uint8))
    with pytest.raises(DataError, match="16-bit"):
        evaluate_folders(pred_dir, gt_dir, get_protocol("synthrooms-indoor"), gt_scale=0.001)


def test_no_valid_pixels_in_range_is_explained(tmp_path):
    for sub in ("p", "g"):
        (tmp_path / sub).mkdir()
        np.save(tmp_path / sub / "a.npy", np.full((4, 4), 20.0, np.float32))
    with pytest.raises(DataError, match=r"\(0.001, 10.0\) m"):
        evaluate_folders(tmp_path / "p", tmp_path / "g", get_protocol("synthrooms-indoor"))


@pytest.mark.parametrize("broken", ["zeros", "negative"])
def test_all_zero_or_negative_predictions_are_refused(folders, broken):
    pred_dir, gt_dir, scenes = folders
    pred = np.zeros((6, 8), np.float32) if broken == "zeros" else -scenes["s1"][0]
    np.save(pred_dir / "s1.npy", pred)
    with pytest.raises(DataError, match=r"1 predictions are not depth maps .*s1 \(min"):
        evaluate_folders(pred_dir, gt_dir, get_protocol("synthrooms-indoor"), gt_scale=0.001)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_resize_predictions_to_the_ground_truth_and_say_so(folders, capsys, mode):
    pred_dir, gt_dir, scenes = folders
    np.save(pred_dir / "s2.npy", cv2.resize(scenes["s2"][0], (16, 12), interpolation=cv2.INTER_NEAREST))
    with pytest.raises(DataError, match="differ in shape"):
        evaluate_folders(pred_dir, gt_dir, get_protocol("synthrooms-indoor"), gt_scale=0.001)
    args = ["evaluate", "--pred", str(pred_dir), "--gt", str(gt_dir), "--protocol", "synthrooms-indoor",
            "--gt-scale", "0.001", "--resize", mode]
    assert main(args) == 0
    assert f"predictions resized to the ground truth's size ({mode})" in capsys.readouterr().out
    assert main(args + ["--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["resized"] == mode
    if mode == "nearest":  # a 2x nearest upscale back down is the original: the scores are unchanged
        assert result["metrics"] == pytest.approx(_expected(scenes, "synthrooms-indoor"))
