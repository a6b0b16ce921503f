"""`arc train ...` and `arc declutter` from the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from PIL import Image

from arc.cli import main
from arc.training.cli import build_stage_parser
from conftest_training import make_tiny_cache, tiny_params


@pytest.fixture(scope="module")
def trained_row(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    cache = make_tiny_cache(root / "cache")
    params_file = root / "params.yaml"
    params_file.write_text(yaml.safe_dump(tiny_params()))
    code = main(["train", "row", "--row", "arc_a", "--params", str(params_file), "--data", str(cache), "--seed", "0", "--out", str(root / "runs")])
    assert code == 0
    return root, cache, params_file


def test_train_stage_cli_writes_stage_files(trained_row):
    root, cache, params_file = trained_row
    out = root / "syn"
    assert main(["train", "depth", "--source", "syn", "--params", str(params_file), "--data", str(cache), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["source"] == "syn" and summary["selected_epoch"] == 1
    for name in ("checkpoint.pt", "last.pt", "log.csv", "val.csv"):
        assert (out / name).is_file()


def test_stage_parser_is_reusable_by_workflow_scripts():
    args = build_stage_parser("finetune").parse_args(
        ["--row", "arc_full", "--depth", "a", "--translator", "b", "--attention", "c", "--inpainter", "d", "--out", "o", "--seed", "2"]
    )
    assert (args.row, args.depth, args.inpainter, args.seed, args.data) == ("arc_full", "a", "d", 2, None)
    with pytest.raises(SystemExit):
        build_stage_parser("attention").parse_args(["--out", "o"])  # --depth is required


def test_cli_error_is_one_line_and_exit_2(trained_row, tmp_path, capsys):
    root, cache, params_file = trained_row
    code = main(["train", "attention", "--depth", str(tmp_path / "missing.pt"), "--params", str(params_file), "--data", str(cache), "--out", str(tmp_path / "a")])
    assert code == 2
    err = capsys.readouterr().err
    assert "missing.pt does not exist" in err and "Traceback" not in err


def test_declutter_writes_mask_image_and_millimetre_depth(trained_row, tmp_path):
    root, _, _ = trained_row
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        Image.fromarray(rng.integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(images / f"{name}.png")
    out = tmp_path / "out"
    assert main(["declutter", "--checkpoint", str(root / "runs" / "arc_a-rho0.85"), "--images", str(images), "--out", str(out)]) == 0
    for name in ("a", "b"):
        mask = np.asarray(Image.open(out / f"{name}_mask.png"))
        depth = np.asarray(Image.open(out / f"{name}_depth.png"))
        image = np.asarray(Image.open(out / f"{name}_decluttered.png"))
        assert mask.shape == (32, 32) and set(np.unique(mask)) <= {0, 255}
        assert depth.dtype == np.uint16 and depth.shape == (32, 32)
        assert 0 < depth.max() <= 10_000  # millimetres, max_depth 10 m
        assert image.shape == (32, 32, 3)
        assert np.all(image[mask == 0] == 127) or np.all(image[mask == 0] == 128)  # removed pixels are 0 in [-1, 1]
