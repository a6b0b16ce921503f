"""params.local.yaml: this machine's dataset roots and VGG file, outside the tracked params.yaml,
so they survive `arc config preset`; every loader (arc config validate, the workflow scripts,
Snakemake's config) merges it, and it refuses every other key, naming the file and the key."""

from __future__ import annotations

import pytest
import yaml

from arc.cli import main
from arc.config import load_params, use_preset
from arc.errors import ConfigError
from pipeline_copy import ROOT
from test_config_preflight import _has_gpu, at_repo_root, full_trees  # noqa: F401 (fixtures)


def _local_roots(full_trees, vgg: bool = True) -> dict:
    """What a user writes once: both benchmarks' roots (and the VGG file)."""
    nyu, kitti, weights = full_trees
    local = {"data": {"nyu": {k: nyu["nyu"][k] for k in ("raw_root", "labeled_mat", "splits_mat")},
                      "pbrs": {"root": nyu["pbrs"]["root"]},
                      "kitti": {"root": kitti["kitti"]["root"]}, "vkitti": {"root": kitti["vkitti"]["root"]}}}
    if vgg:
        local["models"] = {"vgg": {"weights": str(weights)}}
    return local


def _write_local(tmp_path, monkeypatch, local: dict):
    path = tmp_path / "params.local.yaml"
    path.write_text(yaml.safe_dump(local, sort_keys=False))
    monkeypatch.setenv("ARC_PARAMS_LOCAL", str(path))
    return path


def _validate(capsys, preset: str) -> tuple[int, list[str]]:
    code = main(["config", "validate", "--params", f"configs/{preset}.yaml"])
    return code, [l for l in capsys.readouterr().err.splitlines() if l.startswith("error: ")]


def test_one_local_file_validates_both_paper_presets_as_shipped(tmp_path, monkeypatch, capsys, full_trees, at_repo_root):
    local = _write_local(tmp_path, monkeypatch, _local_roots(full_trees))
    for preset in ("paper-nyu", "paper-kitti"):
        code, errors = _validate(capsys, preset)
        if _has_gpu():
            assert code == 0 and not errors, (preset, errors)
        else:  # the one thing left on a machine without a GPU
            assert code == 2 and len(errors) == 1 and "runtime.device = 'cuda'" in errors[0], (preset, errors)
    # Without the file the same presets fail on every root: it is what made them valid.
    monkeypatch.setenv("ARC_PARAMS_LOCAL", "")
    code, errors = _validate(capsys, "paper-nyu")
    assert code == 2 and sum("data.nyu.raw_root" in e or "data.pbrs.root" in e for e in errors) == 2, errors
    assert local.is_file()


def test_a_missing_piece_is_one_line_naming_its_key(tmp_path, monkeypatch, capsys, full_trees, at_repo_root):
    _write_local(tmp_path, monkeypatch, _local_roots(full_trees, vgg=False))
    code, errors = _validate(capsys, "paper-nyu")
    others = [e for e in errors if "runtime.device" not in e]
    assert code == 2 and len(others) == 1 and "models.vgg.weights" in others[0], errors


def test_science_settings_are_refused_naming_the_file_and_key(tmp_path, monkeypatch, at_repo_root):
    local = _write_local(tmp_path, monkeypatch, {"rho": 0.5, "data": {"nyu": {"raw_root": "/x", "n_train": 10}},
                                                 "models": {"vgg": {"arch": "vgg16"}}})
    with pytest.raises(ConfigError) as err:
        load_params("configs/smoke.yaml", check_paths=False)
    lines = str(err.value).splitlines()
    assert len(lines) == 3, lines
    for key, line in zip(("rho", "data.nyu.n_train", "models.vgg.arch"), lines):
        assert line.startswith(f"{local}: key '{key}' is not a machine-local location"), line


def test_preset_switch_leaves_the_local_file_alone(tmp_path, monkeypatch):
    import shutil

    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    monkeypatch.delenv("ARC_PARAMS_LOCAL")  # the default: params.local.yaml in the working directory
    local = tmp_path / "params.local.yaml"
    local.write_text("data:\n  nyu:\n    raw_root: /datasets/nyu_sync\n")
    before = local.read_bytes()
    use_preset("paper-nyu", tmp_path / "params.yaml")
    use_preset("paper-kitti", tmp_path / "params.yaml")
    assert local.read_bytes() == before
    assert yaml.safe_load((tmp_path / "params.yaml").read_text())["data"]["nyu"]["raw_root"] is None
    params = load_params("params.yaml", check_paths=False)
    assert params["data"]["nyu"]["raw_root"] == "/datasets/nyu_sync"
    assert params["benchmark"] == "kitti-vkitti"
    # A bad local file does not block a switch (the preset is checked alone); loading names it.
    local.write_text("seed: 3\n")
    use_preset("smoke", tmp_path / "params.yaml")
    with pytest.raises(ConfigError, match="params.local.yaml: key 'seed' is not a machine-local location"):
        load_params("params.yaml", check_paths=False)
