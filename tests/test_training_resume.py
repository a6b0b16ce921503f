"""A stage killed midway and rerun ends bit-identical to an uninterrupted run (CPU)."""

from __future__ import annotations

import filecmp

import pytest
import torch

from arc.training.loop import Hook, StopTraining
from arc.training.rows import run_row
from arc.training.runner import work_dir
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
    # The declared folder appears only when the stage finished; the resume state waits beside it.
    assert not killed.exists() and (work_dir(killed) / "last.pt").is_file()
    summary = run(params, data_dir=cache, seed=1, out_dir=killed, **kwargs)
    assert summary["resumed_from_epoch"] == 1
    assert not work_dir(killed).exists() and (killed / "summary.json").is_file()

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


def test_stale_work_folder_from_other_settings_is_not_resumed(setup, capsys):
    root, cache, params = setup
    out = root / "stale"
    with pytest.raises(StopTraining):
        get_stage("depth").run(params, data_dir=cache, seed=3, out_dir=out, source="syn", hooks=[KillAfter(3)])
    (work_dir(out) / "junk.txt").write_text("from the killed run")
    changed = tiny_params()
    changed["optim"]["lr"] = 1e-3
    summary = get_stage("depth").run(changed, data_dir=cache, seed=3, out_dir=out, source="syn")
    assert summary["resumed_from_epoch"] is None
    assert "starting this stage afresh" in capsys.readouterr().err
    assert not (out / "junk.txt").exists()  # the stale run's files do not leak into the new folder


def test_truncated_last_pt_names_the_way_out(setup):
    from arc.errors import CheckpointError

    root, cache, params = setup
    out = root / "truncated"
    with pytest.raises(StopTraining):
        get_stage("depth").run(params, data_dir=cache, seed=4, out_dir=out, source="syn", hooks=[KillAfter(3)])
    last = work_dir(out) / "last.pt"
    last.write_bytes(last.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match=r"delete .*last\.pt \(or pass --no-resume\)"):
        get_stage("depth").run(params, data_dir=cache, seed=4, out_dir=out, source="syn")
    summary = get_stage("depth").run(params, data_dir=cache, seed=4, out_dir=out, source="syn", resume=False)
    assert summary["resumed_from_epoch"] is None


def test_summary_records_provenance(setup):
    root, cache, params = setup
    summary = get_stage("depth").run(params, data_dir=cache, seed=5, out_dir=root / "prov", source="syn")
    prov = summary["provenance"]
    assert prov["torch"] == torch.__version__
    assert prov["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert prov["threads"] == torch.get_num_threads() and prov["precision"] == "fp32"
    assert len(prov["commit"]) == 40 or prov["commit"] == "unknown"
