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
        build_stage_parser("inpainting").parse_args(["--out", "o"])  # --attention is required
    # --depth is optional for stage 3: the authors' cyclegan objective trains A without D
    assert build_stage_parser("attention").parse_args(["--out", "o"]).depth is None


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


def _declutter(root, images, out):
    return main(["declutter", "--checkpoint", str(root / "runs" / "arc_a-rho0.85"), "--images", *map(str, images),
                 "--out", str(out)])


def test_declutter_reads_16bit_and_grey_images_as_their_8bit_rgb(trained_row, tmp_path):
    """A 16-bit grey PNG is the same picture as its 8-bit RGB version (not an all-white image)."""
    import cv2

    root, _, _ = trained_row
    rng = np.random.default_rng(1)
    grey8 = rng.integers(0, 256, (40, 50), dtype=np.uint8)
    images = tmp_path / "in"
    images.mkdir()
    cv2.imwrite(str(images / "rgb8.png"), np.repeat(grey8[:, :, None], 3, axis=2))
    cv2.imwrite(str(images / "grey8.png"), grey8)
    cv2.imwrite(str(images / "grey16.png"), grey8.astype(np.uint16) * 257)  # the same values in 16 bits
    cv2.imwrite(str(images / "rgb16.png"), np.repeat(grey8[:, :, None], 3, axis=2).astype(np.uint16) * 257)
    assert _declutter(root, sorted(images.iterdir()), tmp_path / "out") == 0
    outputs = {name: np.asarray(Image.open(tmp_path / "out" / f"{name}_depth.png"))
               for name in ("rgb8", "grey8", "grey16", "rgb16")}
    for name in ("grey8", "grey16", "rgb16"):
        np.testing.assert_array_equal(outputs[name], outputs["rgb8"], err_msg=name)


def test_declutter_out_naming_a_file_is_one_line_error(trained_row, tmp_path, capsys):
    root, _, _ = trained_row
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image)
    taken = tmp_path / "taken.txt"
    taken.write_text("not a folder")
    assert _declutter(root, [image], taken) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out") and "taken.txt is a file; expected a folder" in err
    assert "Traceback" not in err and err.count("\n") == 1


@pytest.mark.parametrize("content", [b"hello\n", b""], ids=["text", "empty"])
def test_not_a_checkpoint_is_one_line_error_naming_the_file(trained_row, tmp_path, capsys, content):
    root, cache, params_file = trained_row
    bogus = tmp_path / "t.pt"
    bogus.write_bytes(content)
    commands = [
        ["predict", "--params", str(params_file), "--checkpoint", str(bogus), "--split", str(cache / "real_test"),
         "--method", "mix", "--seed", "0", "--out", str(tmp_path / "res")],
        ["train", "attention", "--depth", str(bogus), "--params", str(params_file), "--data", str(cache),
         "--out", str(tmp_path / "att")],
    ]
    for command in commands:
        assert main(command) == 2, command
        err = capsys.readouterr().err
        assert err.startswith(f"error: checkpoint {bogus} is ") and "expected an ARC checkpoint" in err, err
        assert "Traceback" not in err and err.count("\n") == 1


def test_workflow_script_and_arc_share_the_error_path_and_the_log(trained_row, tmp_path, capsys):
    """`arc train` and the workflow's script: exit 2, one line, and the line is in the --log file too."""
    import subprocess
    import sys

    from conftest_training import REPO

    root, cache, params_file = trained_row
    args = ["--depth", str(tmp_path / "missing.pt"), "--params", str(params_file), "--data", str(cache),
            "--out", str(tmp_path / "att")]
    assert main(["train", "attention", *args, "--log", str(tmp_path / "arc.log")]) == 2
    assert "missing.pt does not exist" in capsys.readouterr().err
    proc = subprocess.run([sys.executable, str(REPO / "workflow" / "scripts" / "train_attention.py"), *args,
                           "--log", str(tmp_path / "script.log")], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    for log in ("arc.log", "script.log"):
        text = (tmp_path / log).read_text()
        assert text.startswith("error: checkpoint") and "missing.pt does not exist" in text, log
