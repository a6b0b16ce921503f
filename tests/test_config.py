"""params.yaml validation: bad settings fail before any training, naming the key and allowed values."""

import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from arc.config import load_params, validate_params, use_preset
from arc.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def params():
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def test_committed_params_and_presets_are_valid():
    load_params(ROOT / "params.yaml")
    for preset in sorted((ROOT / "configs").glob("*.yaml")):
        validate_params(yaml.safe_load(preset.read_text()), str(preset), check_paths=False)


def test_params_yaml_is_the_demo_preset():
    assert (ROOT / "params.yaml").read_text() == (ROOT / "configs" / "demo.yaml").read_text()


def test_missing_key_is_named(params):
    del params["training"]["depth"]["epochs"]
    with pytest.raises(ConfigError, match=r"missing key 'training\.depth\.epochs'"):
        validate_params(params)


@pytest.mark.parametrize("value", [1.0, 0, 0.0, -0.2, 1.5])
def test_rho_outside_open_unit_interval(params, value):
    params["rho"] = value
    with pytest.raises(ConfigError, match=r"key 'rho' = .* out of range; allowed values: > 0 and < 1"):
        validate_params(params)


def test_rho_in_sweep_out_of_range(params):
    params["rho_sweep"] = [0.85, 1.0]
    with pytest.raises(ConfigError, match=r"key 'rho_sweep\.1' = 1\.0 is out of range"):
        validate_params(params)


def test_negative_epochs(params):
    params["training"]["translator"]["epochs"] = -3
    with pytest.raises(ConfigError, match=r"key 'training\.translator\.epochs' = -3 .*allowed values: >= 1"):
        validate_params(params)


def test_enum_lists_allowed_values(params):
    params["models"]["vgg"]["arch"] = "resnet50"
    with pytest.raises(ConfigError, match=r"'models\.vgg\.arch' = 'resnet50' is not allowed; allowed values: 'vgg16', 'vgg19'"):
        validate_params(params)


def test_negative_loss_weight(params):
    params["training"]["inpainting"]["lambda_style"] = -1.0
    with pytest.raises(ConfigError, match=r"training\.inpainting\.lambda_style"):
        validate_params(params)


def test_unknown_key_lists_allowed_keys(params):
    params["optim"]["momentum"] = 0.9
    with pytest.raises(ConfigError, match=r"key 'optim'.*momentum.*allowed keys: batch_size, lr, lr_discriminator, schedule"):
        validate_params(params)


def test_rho_must_be_a_sweep_value(params):
    params["rho"] = 0.7
    with pytest.raises(ConfigError, match=r"key 'rho' = 0\.7 must be one of 'rho_sweep'"):
        validate_params(params)


def test_row_composition_is_checked(params):
    params["rows"]["arc_ai"]["modules"] = ["I"]
    with pytest.raises(ConfigError, match=r"rows\.arc_ai"):
        validate_params(params)


def test_paper_preset_with_missing_dataset_path(tmp_path):
    paper = yaml.safe_load((ROOT / "configs" / "paper-nyu.yaml").read_text())
    paper["data"]["nyu"]["raw_root"] = str(tmp_path / "does-not-exist")
    with pytest.raises(ConfigError, match=r"key 'data\.nyu\.raw_root' = '.*does-not-exist' does not exist"):
        validate_params(paper, "configs/paper-nyu.yaml")


def test_snakemake_refuses_bad_params_before_any_job(tmp_path):
    """The workflow validates params.yaml at parse time: nothing is scheduled."""
    work = tmp_path / "wf"
    work.mkdir()
    for name in ("Snakefile", "workflow", "arc"):
        (work / name).symlink_to(ROOT / name)
    bad = yaml.safe_load((ROOT / "params.yaml").read_text())
    bad["rho"] = 1.0
    (work / "params.yaml").write_text(yaml.safe_dump(bad))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1"], cwd=work,
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "key 'rho' = 1.0 is out of range; allowed values: > 0 and < 1" in proc.stdout + proc.stderr
    assert not (work / "runs").exists()


def test_preset_switch_copies_file_and_keeps_backup(tmp_path, monkeypatch):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "smoke.yaml").write_text((ROOT / "configs" / "smoke.yaml").read_text())
    (tmp_path / "params.yaml").write_text("old: true\n")
    monkeypatch.chdir(tmp_path)
    use_preset("smoke", Path("params.yaml"))
    assert yaml.safe_load(Path("params.yaml").read_text())["preset"] == "smoke"
    [backup] = Path(".").glob("params.yaml.*.bak")
    assert backup.read_text() == "old: true\n"
    with pytest.raises(ConfigError, match="no such preset; available: smoke"):
        use_preset("nope", Path("params.yaml"))


# NaN passes every range check of a JSON schema (each comparison is False); every float is checked.
@pytest.mark.parametrize("key", ["rho", "rho_sweep.0", "optim.lr", "optim.lr_discriminator",
                                 "training.attention.tau_start", "training.attention.tau_end",
                                 "training.attention.lambda_kl", "training.inpainting.lambda_style",
                                 "training.translator.lambda_cycle"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_are_refused_naming_the_key(params, key, value):
    node, parts = params, key.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(parts[-1]) if parts[-1].isdigit() else parts[-1]] = value
    shown = key.replace(".0", "[0]")
    with pytest.raises(ConfigError, match=rf"key '{re.escape(shown)}' = -?(nan|inf) is not a finite number"):
        validate_params(params)


def test_nan_rho_fails_config_validate_and_the_workflow_before_any_job(tmp_path):
    from arc.cli import main

    bad = yaml.safe_load((ROOT / "params.yaml").read_text())
    bad["rho_sweep"][0] = float("nan")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(bad))
    assert ".nan" in (tmp_path / "params.yaml").read_text()
    assert main(["config", "validate", "--params", str(tmp_path / "params.yaml")]) == 2
    for name in ("Snakefile", "workflow", "arc"):
        (tmp_path / name).symlink_to(ROOT / name)
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "key 'rho_sweep[0]' = nan is not a finite number" in proc.stdout + proc.stderr
