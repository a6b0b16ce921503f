"""Bad input gives a clear error and leaves earlier artifacts intact."""

from __future__ import annotations

import builtins
import shutil

import numpy as np
import pytest
import torch

from arc.errors import CheckpointError, ConfigError
from arc.training.checkpoint import load_module
from arc.training.loop import Hook, TrainingDivergedError
from arc.training.optim import LRSchedule, make_adam
from arc.training.runner import work_dir
from arc.training.stages import get_stage
from conftest_training import make_tiny_cache, tiny_params


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("errors")
    cache = make_tiny_cache(root / "cache")
    params = tiny_params()
    get_stage("depth").run(params, data_dir=cache, seed=0, out_dir=root / "mix", source="mix")
    return root, cache, params


def test_wrong_width_checkpoint_names_file_module_and_shapes(trained, tmp_path):
    root, cache, params = trained
    wider = tiny_params()
    wider["models"]["depth"]["base_width"] = 8
    with pytest.raises(CheckpointError) as info:
        get_stage("attention").run(wider, data_dir=cache, seed=0, out_dir=tmp_path / "att", depth=root / "mix")
    message = str(info.value)
    assert str(root / "mix" / "checkpoint.pt") in message and "'depth'" in message
    assert "checkpoint (4, 3, 7, 7) vs model (8, 3, 7, 7)" in message
    assert not (tmp_path / "att").exists()


def test_load_module_without_spec_rebuilds_from_checkpoint(trained):
    root, _, _ = trained
    net = load_module(root / "mix", "depth", needed_for="test")
    assert net.arc_spec["kwargs"]["base_width"] == 4


def test_missing_upstream_names_file_and_producer(trained, tmp_path):
    _, cache, params = trained
    missing = tmp_path / "nowhere" / "checkpoint.pt"
    with pytest.raises(CheckpointError, match="arc train depth") as info:
        get_stage("attention").run(params, data_dir=cache, seed=0, out_dir=tmp_path / "att", depth=missing)
    assert str(missing) in str(info.value)
    with pytest.raises(ConfigError, match="--attention CHECKPOINT"):
        get_stage("finetune").run(params, data_dir=cache, seed=0, out_dir=tmp_path / "ft", row="arc_a", depth=tmp_path / "x")
    assert not (tmp_path / "att").exists() and not (tmp_path / "ft").exists()


class PoisonWeights(Hook):
    """Turns D's weights into NaN before step ``at`` so the next loss is NaN."""

    def __init__(self, net_getter, at: int):
        self.net_getter, self.at = net_getter, at

    def before_step(self, trainer) -> None:
        if trainer.state.step + 1 == self.at:
            with torch.no_grad():
                for p in self.net_getter().parameters():
                    p.fill_(float("nan"))


def test_nan_guard_stops_with_stage_step_and_loss_and_keeps_last_good(trained, tmp_path, monkeypatch):
    root, cache, params = trained
    params = dict(params, training={**params["training"], "depth": {"epochs": 3}})
    built = {}
    import arc.training.stages.depth as depth_stage

    real_build = depth_stage.build_network
    monkeypatch.setattr(depth_stage, "build_network", lambda p, role: built.setdefault(role, real_build(p, role)))
    out = tmp_path / "nan"
    with pytest.raises(TrainingDivergedError) as info:
        depth_stage.run(params, data_dir=cache, seed=0, out_dir=out, source="syn", hooks=[PoisonWeights(lambda: built["depth"], at=4)])
    message = str(info.value)
    assert "stage 'depth'" in message and "'depth_syn'" in message and "step 4" in message and "epoch 2" in message
    work = work_dir(out)  # a stopped stage stays in its work folder; `out` appears only when finished
    assert not out.exists() and str(work / "last.pt") in message
    last = torch.load(work / "last.pt", weights_only=True)
    assert last["epochs_done"] == 1
    for tensor in last["modules"]["depth"]["state_dict"].values():
        assert torch.isfinite(tensor.float()).all()
    assert (work / "checkpoint.pt").is_file() and not (work / "summary.json").exists()


@pytest.mark.parametrize(
    "stage, change, message",
    [
        ("attention", {"rho": 1.5}, "--rho = 1.5 is out of range"),
        ("attention", {"training.attention.lambda_kl": -1.0}, "training.attention.lambda_kl"),
        ("translator", {"training.translator.lambda_cycle": float("nan")}, "training.translator.lambda_cycle"),
        ("inpainting", {"training.inpainting.lambda_style": -0.5}, "training.inpainting.lambda_style"),
        ("attention", {"training.attention.tau_end": 2.0}, "tau_end"),
        ("depth", {"training.validation.metric": "accuracy"}, "training.validation.metric"),
    ],
)
def test_out_of_range_settings_are_named(trained, tmp_path, stage, change, message):
    root, cache, params = trained
    params = tiny_params()
    kwargs = {"depth": {"source": "mix"}, "translator": {}, "attention": {"depth": root / "mix"}, "inpainting": {"attention": root / "mix"}}[stage]
    for key, value in change.items():
        if key == "rho":
            kwargs["rho"] = value
            continue
        node = params
        *path, last = key.split(".")
        for part in path:
            node = node[part]
        node[last] = value
    with pytest.raises(ConfigError, match=message):
        get_stage(stage).run(params, data_dir=cache, seed=0, out_dir=tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_model_selection_never_reads_the_test_split(trained, tmp_path, monkeypatch):
    _, cache, params = trained
    blocked = tmp_path / "cache"
    shutil.copytree(cache, blocked)
    shutil.rmtree(blocked / "real_test")  # training must not need it ...
    real_open, real_load = builtins.open, np.load

    def guarded_open(file, *args, **kwargs):
        assert "real_test" not in str(file), f"training opened {file}"
        return real_open(file, *args, **kwargs)

    def guarded_load(file, *args, **kwargs):
        assert "real_test" not in str(file), f"training loaded {file}"
        return real_load(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)  # ... nor touch it
    monkeypatch.setattr(np, "load", guarded_load)
    summary = get_stage("depth").run(params, data_dir=blocked, seed=0, out_dir=tmp_path / "d", source="real")
    assert summary["selected_epoch"] == 1 and np.isfinite(summary["val"]["rms_log"])


def test_authors_code_schedule_and_betas():
    params = tiny_params()
    optim = dict(params["optim"], schedule="authors_code", lr=1e-3)
    opt = make_adam([torch.nn.Parameter(torch.zeros(1))], optim)
    assert opt.param_groups[0]["betas"] == (0.5, 0.999)
    schedule = LRSchedule("authors_code", 10)
    assert [schedule.factor(s) for s in (0, 5, 6, 8, 9)] == [1.0, 1.0, 1.0, 0.5, 0.25]
    schedule.apply(opt, 8)
    assert opt.param_groups[0]["lr"] == pytest.approx(5e-4)
    paper = make_adam([torch.nn.Parameter(torch.zeros(1))], dict(optim, schedule="paper"))
    assert paper.param_groups[0]["betas"] == (0.9, 0.999) and LRSchedule("paper", 10).factor(9) == 1.0
