"""The authors' recipe settings of issue 31 item 4, each on tiny tensors, then on 1-2 epoch stages:
training.frozen_bn, training.<stage>.feed_fraction (feed.pt), training.syn_depth_l1,
training.flip_pairs, training.attention.mask_fp32. Defaults are today's behaviour."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn as nn

from arc.errors import ConfigError
from arc.models.gumbel import gumbel_sigmoid
from arc.training import checkpoint as ckpt
from arc.training.recipe import (
    batch_stat_roles,
    feed_epoch,
    feed_fraction,
    flip_batch,
    paired_flips,
    syn_depth_valid_only,
)
from arc.training.runner import _ModeHook
from arc.training.stages import attention, depth, finetune, inpainting, joint, translator
from arc.training.stages.common import depth_l1, freeze, load_upstream, prepare_stage
from conftest_training import make_tiny_cache, tiny_params

# --- settings on tiny tensors -----------------------------------------------------------------


def test_settings_defaults_and_bad_values():
    empty = {"training": {}}
    assert batch_stat_roles(empty, ("attention",)) == ()
    assert batch_stat_roles({"training": {"frozen_bn": "train"}}, ("attention", "translator")) == ("attention", "translator")
    assert syn_depth_valid_only(empty) and not syn_depth_valid_only({"training": {"syn_depth_l1": "unmasked"}})
    assert feed_fraction(empty, "translator") == 1.0
    assert feed_fraction({"training": {"attention": {"feed_fraction": 0.9}}}, "attention") == 0.9
    for key, params in [
        ("training.frozen_bn", {"training": {"frozen_bn": "frozen"}}),
        ("training.syn_depth_l1", {"training": {"syn_depth_l1": True}}),
        ("training.translator.feed_fraction", {"training": {"translator": {"feed_fraction": 0}}}),
        ("training.translator.feed_fraction", {"training": {"translator": {"feed_fraction": 1.5}}}),
    ]:
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            batch_stat_roles(params, ("a",)) if "frozen" in key else (
                syn_depth_valid_only(params) if "syn" in key else feed_fraction(params, "translator"))


def test_feed_epoch_is_the_authors_epoch():
    assert feed_epoch(0.96, 500) == 480 and feed_epoch(0.9, 500) == 450
    assert feed_epoch(1.0, 7) == 7 and feed_epoch(0.5, 2) == 1 and feed_epoch(0.9, 2) == 2
    assert feed_epoch(0.01, 3) == 1  # never epoch 0


def test_mode_hook_keeps_batch_stat_roles_in_train_mode():
    nets = {"trained": nn.BatchNorm2d(2), "fixed": freeze(nn.BatchNorm2d(2)), "fixed_bn": freeze(nn.BatchNorm2d(2))}
    _ModeHook(nets, ("trained",), ("fixed_bn",)).before_epoch(None)
    assert nets["trained"].training and not nets["fixed"].training and nets["fixed_bn"].training
    assert not any(p.requires_grad for p in nets["fixed_bn"].parameters())  # still fixed
    x = torch.randn(4, 2, 3, 3) * 3 + 2
    nets["fixed_bn"](x), nets["fixed"](x)
    assert not torch.equal(nets["fixed_bn"].running_mean, torch.zeros(2))  # its statistics move
    assert torch.equal(nets["fixed"].running_mean, torch.zeros(2))


def test_synthetic_depth_l1_mask_by_hand():
    pred = torch.zeros(1, 1, 1, 4)
    batch = {"depth": torch.tensor([[[[0.0, 5.0, 5.0, 10.0]]]]), "valid": torch.tensor([[[[False, True, True, True]]]])}
    # max_depth 10: depth -> [-1, 1] is 0 -> -1, 5 -> 0, 10 -> 1
    assert depth_l1(pred, batch, 10.0).item() == pytest.approx((0 + 0 + 1) / 3)
    assert depth_l1(pred, batch, 10.0, valid_only=False).item() == pytest.approx((1 + 0 + 0 + 1) / 4)


def _batch(n: int, offset: float) -> dict:
    rgb = torch.arange(n * 3 * 2 * 3, dtype=torch.float32).view(n, 3, 2, 3) + offset
    return {"rgb": rgb, "depth": rgb[:, :1], "valid": rgb[:, :1] > 0}


def test_paired_flips_share_one_draw_per_position():
    seen = set()
    for seed in range(6):
        group = paired_flips({"real": _batch(4, 0.0), "syn": _batch(3, 100.0)}, torch.Generator().manual_seed(seed))
        real, syn = group["real"]["flipped"], group["syn"]["flipped"]
        assert real.shape == (4,) and syn.shape == (3,) and torch.equal(real[:3], syn)
        for domain, offset in (("real", 0.0), ("syn", 100.0)):
            ref = _batch(group[domain]["rgb"].shape[0], offset)["rgb"]
            for i, f in enumerate(group[domain]["flipped"].tolist()):
                assert torch.equal(group[domain]["rgb"][i], ref[i].flip(-1) if f else ref[i])
        seen.update(real.tolist())
    assert seen == {True, False}
    # the default path draws from the generator as before
    a = flip_batch(_batch(4, 0.0), torch.Generator().manual_seed(3))["flipped"]
    assert torch.equal(a, torch.rand(4, generator=torch.Generator().manual_seed(3)) < 0.5)


def _logits_for(keep: float, tau: float, seed: int, shape=(1, 1, 4, 4), noise="gumbel") -> torch.Tensor:
    """Logits whose noisy keep probability sigmoid((l + sample) / tau) is ``keep`` at every pixel
    (the noise sample is recovered from the same seeded generator at l = 0, tau = 1)."""
    sample = torch.logit(gumbel_sigmoid(torch.zeros(shape), 1.0, generator=torch.Generator().manual_seed(seed), noise=noise).double())
    return (tau * math.log(keep / (1 - keep)) - sample).float()


@pytest.mark.parametrize("fp32", [False, True])
def test_mask_fp32_keeps_the_gradient_of_a_0999_keep_under_bf16_autocast(fp32):
    tau, seed = 0.5, 4
    base = _logits_for(0.999, tau, seed)
    logits = base.clone().requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        a_out = logits.to(torch.bfloat16)  # A's output is bf16 under autocast
        mask = gumbel_sigmoid(a_out, tau, generator=torch.Generator().manual_seed(seed), noise="gumbel", fp32=fp32)
        image = torch.ones(1, 3, 4, 4, dtype=torch.bfloat16)
        masked = mask * image
    masked.float().sum().backward()
    assert (mask.dtype == torch.float32) == fp32 and (masked.dtype == torch.float32) == fp32
    if fp32:
        assert torch.all((mask - 0.999).abs() < 2e-3)
        assert torch.all(logits.grad > 0)  # d mask / d l = y (1 - y) / tau ~ 2e-3 per channel
    else:
        assert torch.all(mask == 1.0)  # 0.999 rounds to 1 in bf16
        assert torch.all(logits.grad == 0)


def test_mask_fp32_is_a_no_op_in_fp32():
    logits = torch.randn(2, 1, 5, 5)
    a = gumbel_sigmoid(logits, 0.3, generator=torch.Generator().manual_seed(1), noise="gumbel")
    b = gumbel_sigmoid(logits, 0.3, generator=torch.Generator().manual_seed(1), noise="gumbel", fp32=True)
    assert torch.equal(a, b)


# --- stages on a tiny cache ---------------------------------------------------------------------

AUTHORS_NETS = {
    "attention": {"arch": "authors", "base_width": 4, "num_res_blocks": 1},
    "translator": {"arch": "authors", "base_width": 4, "num_res_blocks": 1},
    "inpainter": {"arch": "authors", "base_width": 4, "num_res_blocks": 1},
}


def _params(**training) -> dict:
    p = tiny_params()
    p["models"].update(copy.deepcopy(AUTHORS_NETS))  # BatchNorm in A, T and I
    p["training"]["translator"].update(epochs=2, feed_fraction=0.5)
    p["training"]["inpainting"]["lambda_adversarial"] = 0.0
    p["training"]["joint"]["lambda_adversarial"] = 0.0
    p["training"].update(training)
    return p


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    root = tmp_path_factory.mktemp("settings")
    cache = make_tiny_cache(root / "cache")
    params = _params()
    common = dict(data_dir=cache, seed=0)
    depth.run(params, out_dir=root / "mix", source="mix", **common)
    translator.run(params, out_dir=root / "translator", **common)
    attention.run(params, out_dir=root / "att", depth=root / "mix" / "checkpoint.pt", translator=root / "translator" / "checkpoint.pt", **common)
    return cache, root


def _state(path, role):
    return ckpt.read_checkpoint(path)["modules"][role]["state_dict"]


def _stats_equal(a: dict, b: dict) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a if "running_" in k)


def _weights_equal(a: dict, b: dict) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a if "running_" not in k and "num_batches" not in k)


def test_feed_checkpoint_is_written_at_the_fraction_and_loaded_downstream(upstream):
    cache, root = upstream
    feed = root / "translator" / ckpt.FEED_NAME
    data = ckpt.read_checkpoint(feed)
    assert data["kind"] == "feed" and data["meta"]["epoch"] == 1 and data["meta"]["feed_fraction"] == 0.5
    assert set(data["modules"]) == set(ckpt.read_checkpoint(root / "translator" / "checkpoint.pt")["modules"])
    selected = _state(root / "translator" / "checkpoint.pt", "translator")
    assert not _weights_equal(data["modules"]["translator"]["state_dict"], selected)  # epoch 1 vs epoch 2
    # a later stage given the folder's checkpoint.pt loads feed.pt
    assert ckpt.upstream_checkpoint(root / "translator" / "checkpoint.pt") == feed
    loaded = load_upstream(root / "translator" / "checkpoint.pt", "translator", stage="inpainting", flag="--translator", params=_params())
    assert _weights_equal(loaded.state_dict(), data["modules"]["translator"]["state_dict"])
    # the attention stage keeps the default (1.0): no feed.pt, later stages load checkpoint.pt
    assert not (root / "att" / ckpt.FEED_NAME).exists()
    assert ckpt.upstream_checkpoint(root / "att" / "checkpoint.pt") == root / "att" / "checkpoint.pt"


def test_frozen_bn_modes_in_the_inpainting_joint_and_finetune_stages(upstream):
    cache, root = upstream
    common = dict(data_dir=cache, seed=0)
    att, tr = root / "att" / "checkpoint.pt", root / "translator" / "checkpoint.pt"
    a0, t0 = _state(att, "attention"), _state(root / "translator" / ckpt.FEED_NAME, "translator")
    saved = {}
    for mode in ("eval", "train"):
        p = _params(frozen_bn=mode)
        inpainting.run(p, out_dir=root / f"inp-{mode}", attention=att, translator=tr, **common)
        saved[mode] = ckpt.read_checkpoint(root / f"inp-{mode}" / "checkpoint.pt")["modules"]
        for role, ref in (("attention", a0), ("translator", t0)):
            assert _weights_equal(saved[mode][role]["state_dict"], ref)  # fixed either way
            assert _stats_equal(saved[mode][role]["state_dict"], ref) == (mode == "eval")
    # the two modes give I different training inputs
    assert not _weights_equal(saved["eval"]["inpainter"]["state_dict"], saved["train"]["inpainter"]["state_dict"])

    p = _params(frozen_bn="train")
    inp = root / "inp-train" / "checkpoint.pt"
    joint.run(p, out_dir=root / "joint", depth=root / "mix" / "checkpoint.pt", attention=att, translator=tr, inpainter=inp, **common)
    jm = ckpt.read_checkpoint(root / "joint" / "checkpoint.pt")["modules"]
    i0 = _state(inp, "inpainter")
    for role, ref in (("translator", t0), ("inpainter", i0)):
        assert _weights_equal(jm[role]["state_dict"], ref) and not _stats_equal(jm[role]["state_dict"], ref)

    finetune.run(p, out_dir=root / "ft", row="arc_full", depth=root / "joint" / "checkpoint.pt", attention=root / "joint" / "checkpoint.pt",
                 translator=tr, inpainter=inp, **common)
    a_joint, a_ft = jm["attention"]["state_dict"], _state(root / "ft" / "checkpoint.pt", "attention")
    assert _weights_equal(a_ft, a_joint) and not _stats_equal(a_ft, a_joint)  # A saved with the moved statistics


def test_flip_pairs_in_the_stage_batches(upstream, tmp_path):
    cache, _ = upstream
    flips = {}
    for paired in (False, True):
        ctx = prepare_stage("depth", _params(flip=True, flip_pairs=paired), data_dir=cache, seed=0, out_dir=tmp_path / "x", domains=("syn", "real"))
        flips[paired] = [(g["real"]["flipped"], g["syn"]["flipped"]) for g in ctx.batches(("syn", "real"), 0)]
    n = lambda r, s: min(len(r), len(s))  # noqa: E731
    assert all(torch.equal(r[: n(r, s)], s[: n(r, s)]) for r, s in flips[True])
    assert any(not torch.equal(r[: n(r, s)], s[: n(r, s)]) for r, s in flips[False])


def test_unmasked_synthetic_depth_l1_reaches_the_depth_stage(upstream, monkeypatch, tmp_path):
    cache, _ = upstream
    seen = []
    real = depth.depth_l1

    def spy(pred, batch, max_depth, valid_only=True):
        seen.append(valid_only)
        return real(pred, batch, max_depth, valid_only)

    monkeypatch.setattr(depth, "depth_l1", spy)
    depth.run(_params(syn_depth_l1="unmasked"), data_dir=cache, seed=0, out_dir=tmp_path / "mix", source="mix")
    assert seen and set(seen[0::2]) == {False} and set(seen[1::2]) == {True}  # syn unmasked, real masked
