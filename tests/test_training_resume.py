"""A stage killed midway and rerun ends bit-identical to an uninterrupted run (CPU)."""

from __future__ import annotations

import filecmp

import pytest
import torch

from arc.training.loop import Hook, StopTraining
from arc.training.rows import run_row
from arc.training.stages import get_stage
from conftest_training import make_tiny_cache, tiny_params


class KillAfter(Hook):
    """Simulates a kill: raises after ``steps`` optimisation steps of this process."""

    name = "kill"

    def __init__(self, steps: int):
        self.steps = steps
        self.seen = 0

    def after_step(self, trainer) -> None:
        self.seen += 1
        if self.seen == self.steps:
            raise StopTraining(f"killed after {self.steps} steps")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    cache = make_tiny_cache(root / "cache")
    params = tiny_params()
    params["training"]["depth"]["epochs"] = 3
    params["training"]["attention"]["epochs"] = 3
    params["training"]["finetune"]["iterations"] = 2  # 4 epochs alternating eq. 14 / eq. 15
    # Upstream checkpoints for the stages with fixed inputs (A&I row: D, A, I).
    run_row(params, "arc_ai", data_dir=cache, seed=0, root=root / "up")
    # The peers: T2Net from scratch; GASDA from the CycleGAN, with its phase switch inside the resumed run.
    params["training"]["t2net"]["epochs"] = 3
    params["training"]["gasda"].update(pretrain_epochs=1, epochs=2)
    get_stage("translator").run(params, data_dir=cache, seed=0, out_dir=root / "up" / "translator")
    return root, cache, params


STAGE_ARGS = {
    "depth": lambda up: {"source": "mix"},
    "attention": lambda up: {"depth": up / "mix", "rho": 0.85},
    "finetune": lambda up: {"row": "arc_ai", "depth": up / "mix", "attention": up / "attention-rho0.85", "inpainter": up / "inpainting-rho0.85"},
    "t2net": lambda up: {},
    "gasda": lambda up: {"translator": up / "translator"},
}


def _states(path):
    data = torch.load(path, map_location="cpu", weights_only=True)
    return data["modules"]


@pytest.mark.parametrize("stage", ["depth", "attention", "finetune", "t2net", "gasda"])
def test_kill_and_resume_matches_uninterrupted(setup, stage):
    root, cache, params = setup
    kwargs = STAGE_ARGS[stage](root / "up")
    run = get_stage(stage).run
    full, killed = root / f"{stage}-full", root / f"{stage}-killed"
    run(params, data_dir=cache, seed=1, out_dir=full, **kwargs)

    # Kill in the middle of the second epoch (each epoch has 2 steps at these sizes).
    with pytest.raises(StopTraining):
        run(params, data_dir=cache, seed=1, out_dir=killed, hooks=[KillAfter(3)], **kwargs)
    assert (killed / "last.pt").is_file() and not (killed / "summary.json").exists()
    summary = run(params, data_dir=cache, seed=1, out_dir=killed, **kwargs)
    assert summary["resumed_from_epoch"] == 1

    for name in ("checkpoint.pt", "last.pt"):
        a, b = _states(full / name), _states(killed / name)
        assert a.keys() == b.keys()
        for role in a:
            for key, tensor in a[role]["state_dict"].items():
                assert torch.equal(tensor, b[role]["state_dict"][key]), (name, role, key)
    assert filecmp.cmp(full / "log.csv", killed / "log.csv", shallow=False)
    assert filecmp.cmp(full / "val.csv", killed / "val.csv", shallow=False)


def test_resume_ignores_state_from_other_settings(setup, capsys):
    root, cache, params = setup
    out = root / "changed"
    get_stage("depth").run(params, data_dir=cache, seed=2, out_dir=out, source="syn")
    changed = tiny_params()
    changed["optim"]["lr"] = 1e-3
    summary = get_stage("depth").run(changed, data_dir=cache, seed=2, out_dir=out, source="syn")
    assert summary["resumed_from_epoch"] is None
    assert "starting this stage afresh" in capsys.readouterr().err
