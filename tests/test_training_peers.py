"""What each peer stage promises beyond "it trains" (that is tests/test_training_rows.py):
which networks move, when the discriminators step, what the checkpoints hold, and clear errors."""

from __future__ import annotations

import copy
import csv

import pytest
import torch

from arc.errors import CheckpointError, ConfigError
from arc.models.registry import build_model
from arc.training.checkpoint import load_pipeline, read_checkpoint
from arc.training.loop import Hook, StopTraining
from arc.training.stages import get_stage
from arc.training.runner import work_dir
from conftest_training import make_tiny_cache, tiny_params


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    root = tmp_path_factory.mktemp("peers")
    cache = make_tiny_cache(root / "cache")
    params = tiny_params()
    get_stage("translator").run(params, data_dir=cache, seed=0, out_dir=root / "translator")
    return root, cache, params


def _weights(path, role):
    return read_checkpoint(path)["modules"][role]["state_dict"]


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_translator_checkpoint_holds_the_whole_cyclegan(upstream):
    root, _, _ = upstream
    assert set(read_checkpoint(root / "translator" / "checkpoint.pt")["modules"]) == {
        "translator", "translator_s2r", "disc_syn", "disc_real"}


def test_crdoco_keeps_the_cyclegan_frozen_and_predicts_with_f_t(upstream):
    root, cache, params = upstream
    get_stage("crdoco").run(params, data_dir=cache, seed=0, out_dir=root / "crdoco", translator=root / "translator")
    cyclegan = root / "translator" / "checkpoint.pt"
    for role in ("translator", "translator_s2r"):
        assert _same(_weights(cyclegan, role), _weights(root / "crdoco" / "last.pt", role)), role
    selected = read_checkpoint(root / "crdoco" / "checkpoint.pt")
    assert set(selected["modules"]) == {"depth"} and selected["meta"]["predict"] == "F_T(x_r)"


def test_gasda_pretrains_with_the_cyclegan_frozen_then_fine_tunes_it(upstream):
    root, cache, params = upstream
    params = copy.deepcopy(params)
    params["training"]["gasda"].update(pretrain_epochs=1, epochs=1)
    cyclegan = root / "translator" / "checkpoint.pt"
    frozen = root / "gasda-pretrain-only"
    # After the pretraining epoch alone (the run's first epoch), the CycleGAN is untouched ...
    class StopAfterFirstEpoch(Hook):  # at the start of the second epoch, once last.pt holds the first
        name = "stop"

        def before_epoch(self, trainer):
            if trainer.state.epoch == 1:
                raise StopTraining("first epoch done")

    with pytest.raises(StopTraining):
        get_stage("gasda").run(params, data_dir=cache, seed=0, out_dir=frozen, translator=cyclegan, hooks=[StopAfterFirstEpoch()])
    for role in ("translator", "translator_s2r", "disc_syn", "disc_real"):
        assert _same(_weights(cyclegan, role), _weights(work_dir(frozen) / "last.pt", role)), role
    # ... and the joint epoch changes it.
    get_stage("gasda").run(params, data_dir=cache, seed=0, out_dir=root / "gasda", translator=cyclegan)
    assert not _same(_weights(cyclegan, "translator"), _weights(root / "gasda" / "last.pt", "translator"))
    with open(root / "gasda" / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["consistency"] == "" and rows[-1]["consistency"] != ""  # consistency only when joint


def test_t2net_steps_its_discriminators_every_disc_every_steps(upstream):
    root, cache, params = upstream
    params = copy.deepcopy(params)
    params["training"]["t2net"].update(epochs=2, disc_every=3)
    get_stage("t2net").run(params, data_dir=cache, seed=0, out_dir=root / "t2net")
    with open(root / "t2net" / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    stepped = [int(r["step"]) for r in rows if r["disc_img"] != ""]
    # The step function sees the count of steps completed before it (0, 1, 2, ...); log.csv numbers
    # each row by the count after it, so steps 1, 4 carry the discriminator losses.
    assert stepped == [s for s in range(1, len(rows) + 1) if (s - 1) % 3 == 0] and len(stepped) >= 2
    clip = params["training"]["t2net"]["feature_clip"]
    for tensor in _weights(root / "t2net" / "last.pt", "disc_feature").values():
        assert float(tensor.abs().max()) <= clip + 1e-9
    assert set(read_checkpoint(root / "t2net" / "checkpoint.pt")["modules"]) == {"depth"}


def test_peers_that_start_from_the_cyclegan_need_it(upstream):
    root, cache, params = upstream
    for peer in ("crdoco", "gasda"):
        with pytest.raises(ConfigError, match="needs --translator CHECKPOINT"):
            get_stage(peer).run(params, data_dir=cache, seed=0, out_dir=root / f"{peer}-no-t")


def test_gasda_refuses_the_stereo_term_without_right_images(upstream):
    root, cache, params = upstream
    params = copy.deepcopy(params)
    params["training"]["gasda"]["stereo"] = True
    with pytest.raises(ConfigError, match="rgb_right"):
        get_stage("gasda").run(params, data_dir=cache, seed=0, out_dir=root / "gasda-stereo", translator=root / "translator")


def test_missing_peer_weight_is_named(upstream):
    root, cache, params = upstream
    params = copy.deepcopy(params)
    del params["training"]["crdoco"]["lambda_consistency"]
    with pytest.raises(ConfigError, match=r"training.crdoco lacks \['lambda_consistency'\]"):
        get_stage("crdoco").run(params, data_dir=cache, seed=0, out_dir=root / "crdoco-bad", translator=root / "translator")


def test_branch_mean_checkpoint_with_a_bad_branch_is_refused(upstream, tmp_path):
    root, _, _ = upstream
    data = read_checkpoint(root / "gasda" / "checkpoint.pt")
    data["meta"]["branches"] = [{"depth": "depth"}, {"depth": "no_such_module"}]
    bad = tmp_path / "bad.pt"
    torch.save(data, bad)
    with pytest.raises(CheckpointError, match="meta.branches"):
        load_pipeline(bad)


def test_feature_discriminator_names_the_expected_shape():
    net = build_model("feature_discriminator", in_channels=4, height=2, width=3, hidden_width=5)
    assert net(torch.zeros(2, 4, 2, 3)).shape == (2, 1)
    with pytest.raises(ValueError, match=r"expected features of shape \(B, 4, 2, 3\)"):
        net(torch.zeros(2, 4, 3, 3))
