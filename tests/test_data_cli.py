"""`arc data generate|inspect|sample|cache` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arc.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "realdata"


def test_generate_cache_inspect_roundtrip(tmp_path, capsys):
    out = tmp_path / "synthrooms" / "outdoor"
    args = ["data", "generate", "--family", "outdoor", "--out", str(out), "--height", "16", "--width", "48",
            "--n-syn-train", "2", "--n-real-train", "1", "--n-real-val", "1", "--n-real-test", "2", "--seed", "3",
            "--params", str(tmp_path / "absent.yaml")]
    assert main(args) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["splits"]["real_test"]["count"] == 2 and meta["family"] == "outdoor"

    cache = tmp_path / "cache" / "synthrooms-outdoor" / "real_test"
    assert main(["data", "cache", "--dataset", "synthrooms", "--root", str(out), "--split", "real_test",
                 "--out", str(cache)]) == 0
    assert json.loads((cache / "manifest.json").read_text())["benchmark"] == "synthrooms-outdoor"

    capsys.readouterr()
    assert main(["data", "inspect", "--dataset", "synthrooms", str(out / "real_test"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in report["samples"]] == ["00000", "00001"]
    for s in report["samples"]:
        assert s["depth_shape"] == [16, 48] and 0.05 <= s["valid_fraction"] <= 0.2 and s["max_m"] <= 80.0


def test_generate_takes_sizes_from_params(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("data:\n  synthrooms:\n    indoor: {height: 8, width: 16, n_syn_train: 1, n_real_train: 1, "
                      "n_real_val: 1, n_real_test: 1}\n")
    assert main(["data", "generate", "--family", "indoor", "--out", str(tmp_path / "g"), "--params", str(params)]) == 0
    assert json.loads((tmp_path / "g" / "meta.json").read_text())["width"] == 16


def test_inspect_real_fixtures_json(capsys):
    assert main(["data", "inspect", "--dataset", "kitti", str(FIXTURES / "kitti"), "--json"]) == 0
    samples = json.loads(capsys.readouterr().out)["samples"]
    assert [s["name"] for s in samples] == ["0000000005", "0000000050"]
    assert samples[0]["rgb_shape"] == [375, 1242, 3]
    assert abs(samples[0]["median_m"] - 13.844) < 1e-3 and abs(samples[0]["valid_fraction"] - 0.195) < 1e-3
    assert main(["data", "inspect", "--dataset", "nyu", str(FIXTURES / "nyu" / "depth" / "sync_depth_00050.png")]) == 0
    assert "00050" in capsys.readouterr().out


def test_sample_cli_is_deterministic(tmp_path):
    pool = tmp_path / "pool.txt"
    pool.write_text("".join(f"/s{s}/rgb_{f:05d}.jpg /s{s}/sync_depth_{f:05d}.png 518.8579\n"
                            for s in range(20) for f in range(10)))
    for name in ("a", "b"):
        assert main(["data", "sample", "--dataset", "nyu", "--pool", str(pool), "--out", str(tmp_path / f"{name}.txt"),
                     "--n", "20", "--val-out", str(tmp_path / f"{name}_val.txt"), "--n-val", "5", "--seed", "1"]) == 0
    assert (tmp_path / "a.txt").read_text() == (tmp_path / "b.txt").read_text()
    assert (tmp_path / "a_val.txt").read_text() == (tmp_path / "b_val.txt").read_text()


def test_errors_exit_2_with_one_message(tmp_path, capsys):
    assert main(["data", "inspect", "--dataset", "pbrs", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(tmp_path / "missing") in err and "Traceback" not in err
    assert main(["data", "cache", "--dataset", "nyu", "--root", str(FIXTURES / "nyu"), "--list",
                 str(tmp_path / "nolist.txt"), "--height", "8", "--width", "8", "--out", str(tmp_path / "c" / "x")]) == 2
    assert "nolist.txt: split list not found" in capsys.readouterr().err


def test_closed_pipe_ends_quietly():
    """`arc data inspect --json | head -1`: no BrokenPipeError traceback once head has gone."""
    import subprocess
    import sys

    command = (f"{sys.executable} -m arc.cli data inspect --dataset kitti {FIXTURES / 'kitti'} --json | head -c 1 >/dev/null; "
               "exit ${PIPESTATUS[0]}")
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.returncode in (0, 141), done


def test_export_gt_writes_the_654_official_nyu_test_frames_for_evaluate(tmp_path, capsys):
    import numpy as np

    import realdata_tree
    from arc.evaluation.depth_io import load_depth

    labeled = realdata_tree.write_nyu_labeled_mat(tmp_path / "labeled.mat", {
        1: (np.zeros((48, 64, 3), np.uint8), np.full((48, 64), 3.0, np.float32))}, count=1449)
    test_list = Path(__file__).resolve().parents[1] / "data" / "splits" / "nyu_official_test_indices.txt"
    out = tmp_path / "gt"
    assert main(["data", "export-gt", "--dataset", "nyu-mat", "--root", str(labeled), "--list", str(test_list),
                 "--out", str(out)]) == 0
    assert "654 ground-truth PNGs" in capsys.readouterr().out
    files = sorted(out.glob("*.png"))
    # testNdxs starts 1, 2, 9 (1-based): BTS's names, the 0-based index
    assert len(files) == 654 and [f.name for f in files[:3]] == ["labeled_00000.png", "labeled_00001.png", "labeled_00008.png"]
    assert load_depth(files[0], 0.001) == pytest.approx(3.0)  # the frame written above
    assert load_depth(files[1], 0.001) == pytest.approx(2.5)  # the writer's fill depth
    assert main(["evaluate", "--pred", str(out), "--gt", str(out), "--protocol", "nyu-standard",
                 "--pred-scale", "0.001", "--gt-scale", "0.001", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["abs_rel"] == 0.0
