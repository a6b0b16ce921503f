"""training.frozen_bn against the authors' own code (tests/fixtures/authors_frozen_bn.pt, made by
tools/authors_parity/make_frozen_bn_fixture.py, which runs their inpainting and fine-tuning
``train()`` for one epoch): their fixed A and T stay in train mode, run on batch statistics, and
their running statistics move while their weights do not. The project's mode handling (freeze,
then the runner's mode hook with the stage's batch-statistics roles) is fed the same weights
(fill_seeded_, identical keys) and the same batches, and must give the same logits and statistics."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from arc.models.authors.state_mapping import fill_seeded_
from arc.models.registry import build_model
from arc.training.recipe import batch_stat_roles
from arc.training.runner import _ModeHook
from arc.training.stages.common import freeze, front_of

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "authors_frozen_bn.pt"


def _tool():
    spec = importlib.util.spec_from_file_location("make_frozen_bn_fixture", REPO / "tools" / "authors_parity" / "make_frozen_bn_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fixture():
    return torch.load(FIXTURE, weights_only=False)


def _fixed_networks(fx) -> dict[str, nn.Module]:
    attention = fill_seeded_(build_model("authors_attention", base_width=fx["width"]), fx["seeds"]["attModule"])
    translator = fill_seeded_(build_model("authors_generator", base_width=fx["width"]), fx["seeds"]["styleTranslator"])
    return {"attention": attention, "translator": translator}


def _run_project(fx, mode: str, fixed: tuple[str, ...], trainable: tuple[str, ...]):
    """The inpainting (fixed A, T) or fine-tuning (fixed A) stage's handling of its fixed networks on
    the fixture's batches: freeze, the mode hook at the epoch start, front(x, hard=True) per step."""
    nets = _fixed_networks(fx)
    initial = {role: {k: v.clone() for k, v in net.state_dict().items()} for role, net in nets.items()}
    for role in fixed:
        freeze(nets[role])
    nets.update({role: nn.Conv2d(3, 3, 1) for role in trainable})  # stand-ins for the trained networks
    _ModeHook(nets, trainable, batch_stat_roles({"training": {"frozen_bn": mode}}, fixed)).before_epoch(None)
    logits: list[torch.Tensor] = []
    nets["attention"].register_forward_hook(lambda mod, inp, out: logits.append(out.detach().clone()))
    front = front_of(attention=nets["attention"], translator=nets["translator"] if "translator" in fixed else None)
    for batch in _tool().batches():
        with torch.no_grad():
            if "translator" not in fixed:  # fine-tuning: T is trained, so it runs outside the front
                nets["translator"](batch["real"][0])
            front(batch["real"][0], hard=True)
    return nets, initial, logits


@pytest.mark.parametrize("stage", ["inpainting", "finetune"])
def test_train_mode_matches_the_authors_fixed_networks(fixture, stage):
    ref = fixture[stage]
    fixed = ("attention", "translator") if stage == "inpainting" else ("attention",)
    trainable = ("inpainter",) if stage == "inpainting" else ("depth", "inpainter")
    theirs = {"attention": "attModule", "translator": "styleTranslator"}
    assert all(ref["modes"].values())  # their fixed networks were in train mode throughout
    nets, initial, logits = _run_project(fixture, "train", fixed, trainable)
    assert len(logits) == fixture["steps"]
    sub = fixture["subsample"]
    for ours, their, keep in zip(logits, ref["logits"], ref["keep"]):
        torch.testing.assert_close(ours[..., ::sub, ::sub], their, atol=1e-5, rtol=1e-5)
        assert float((ours >= 0).float().mean()) == pytest.approx(keep, abs=1e-6)
    for role in fixed:
        state, their_state = nets[role].state_dict(), ref["state"][theirs[role]]
        assert their_state["weights_unchanged"]
        stat_keys = [k for k in state if "running_" in k or "num_batches" in k]
        assert stat_keys and set(stat_keys) == set(their_state) - {"weights_unchanged"}
        for key in stat_keys:
            torch.testing.assert_close(state[key], their_state[key], atol=1e-5, rtol=1e-5)
        moved = max(float((state[k].float() - initial[role][k].float()).abs().max()) for k in stat_keys if "running_" in k)
        assert moved > 1e-3  # the statistics did move
        assert all(torch.equal(state[k], initial[role][k]) for k in state if k not in stat_keys)  # weights did not


def test_eval_mode_is_not_the_authors_behaviour(fixture):
    """The default (eval) keeps the statistics and gives other logits: the check above can fail."""
    nets, initial, logits = _run_project(fixture, "eval", ("attention", "translator"), ("inpainter",))
    for role, net in nets.items():
        if role in initial:
            assert all(torch.equal(v, initial[role][k]) for k, v in net.state_dict().items())
    sub = fixture["subsample"]
    diff = max(float((ours[..., ::sub, ::sub] - theirs).abs().max()) for ours, theirs in zip(logits, fixture["inpainting"]["logits"]))
    assert diff > 1e-3
