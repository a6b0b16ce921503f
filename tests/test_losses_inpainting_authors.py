"""The authors' inpainting losses (training.inpainting.losses: authors): the VGG19 taps, which
terms see the hole, L1 and LSGAN values by hand, the mask buffer, the discriminator adapter and
one tiny inpainting stage."""

from __future__ import annotations

import copy
import json
import math

import pytest
import torch
import torch.nn.functional as F

from arc.errors import ConfigError
from arc.losses.inpainting import InpaintingWeights
from arc.losses.inpainting_authors import (
    PERCEPTUAL_LAYERS,
    STYLE_LAYERS,
    VGG_LAYERS,
    authors_discriminator_loss,
    authors_inpainting_loss,
    inpainting_losses,
)
from arc.losses.perceptual import gram_matrix
from arc.models.authors.discriminators import AuthorsGlobalLocalDiscriminator
from arc.models.discriminators import GlobalLocalDiscriminator
from arc.models.vgg_features import VGGFeatures, relu_indices
from arc.training import checkpoint as ckpt
from arc.training.inpaint_critic import InpaintCritic
from arc.training.mask_pool import MaskPool
from conftest_training import make_tiny_cache, tiny_params

NO_VGG = InpaintingWeights(0.0, 0.0, 0.0)


@pytest.fixture(scope="module")
def vgg19():
    return VGGFeatures("vgg19", seed=1, layers=VGG_LAYERS, normalize=False)


def _keep_mask() -> torch.Tensor:
    m = torch.ones(2, 1, 32, 32)
    m[:, :, 8:24, 8:24] = 0.0
    return m


# --- VGG taps ---------------------------------------------------------------------------------


def test_vgg19_relu_indices_match_torchvision_features():
    import torch.nn as nn
    from torchvision.models.vgg import cfgs, make_layers

    index = relu_indices(cfgs["E"])
    expected = {"relu1_1": 1, "relu2_1": 6, "relu2_2": 8, "relu3_1": 11, "relu3_4": 17, "relu4_1": 20,
                "relu4_4": 26, "relu5_1": 29, "relu5_2": 31}
    assert {k: index[k] for k in expected} == expected
    features = make_layers(cfgs["E"])
    assert all(isinstance(features[i], nn.ReLU) and isinstance(features[i - 1], nn.Conv2d) for i in index.values())


def test_vgg19_taps_are_unnormalised_and_in_layer_order(vgg19):
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    feats = vgg19(x)
    assert [f.shape[1] for f in feats] == [64, 128, 256, 512, 512, 128, 256, 512, 512]
    assert torch.allclose(feats[0], vgg19.features[:2](x))  # relu1_1 of the raw [-1, 1] image
    assert torch.allclose(feats[6], vgg19.features[:18](x))  # relu3_4
    normalised = VGGFeatures("vgg19", seed=1, layers=VGG_LAYERS)
    assert not torch.allclose(normalised(x)[0], feats[0])
    with pytest.raises(ValueError, match="relu9_9"):
        VGGFeatures("vgg19", seed=1, layers=["relu9_9"])
    with pytest.raises(ValueError, match="relu3_4"):  # VGG16 has no relu3_4
        VGGFeatures("vgg16", seed=1, layers=["relu3_4"])


# --- which region each term sees ---------------------------------------------------------------


def test_style_sees_only_the_hole_perceptual_the_whole_image(vgg19):
    g = torch.Generator().manual_seed(0)
    target = torch.rand(2, 3, 32, 32, generator=g) * 2 - 1
    keep = _keep_mask()
    noise = torch.rand(2, 3, 32, 32, generator=g) * 2 - 1
    w = InpaintingWeights(1.0, 1.0, 0.0)
    kept_only = authors_inpainting_loss(target + keep * noise, target, keep, weights=w, vgg=vgg19)
    assert kept_only["style"].item() == pytest.approx(0.0, abs=1e-7)
    assert kept_only["perceptual"].item() > 0 and kept_only["l1"].item() > 0
    hole_only = authors_inpainting_loss(target + (1 - keep) * noise, target, keep, weights=w, vgg=vgg19)
    assert hole_only["style"].item() > 0 and hole_only["perceptual"].item() > 0


def test_perceptual_and_style_values_against_the_formula(vgg19):
    g = torch.Generator().manual_seed(2)
    out, target = (torch.rand(2, 3, 32, 32, generator=g) * 2 - 1 for _ in range(2))
    keep = _keep_mask()
    parts = authors_inpainting_loss(out, target, keep, weights=InpaintingWeights(2.0, 3.0, 0.0), vgg=vgg19)
    taps = dict(zip(VGG_LAYERS, range(len(VGG_LAYERS))))
    whole_o, whole_t = vgg19(out), vgg19(target)
    hole_o, hole_t = vgg19(out * (1 - keep)), vgg19(target * (1 - keep))
    perceptual = sum(F.l1_loss(whole_o[taps[k]], whole_t[taps[k]]) for k in PERCEPTUAL_LAYERS)
    style = sum(F.l1_loss(gram_matrix(hole_o[taps[k]]), gram_matrix(hole_t[taps[k]])) for k in STYLE_LAYERS)
    assert parts["perceptual"].item() == pytest.approx(perceptual.item(), rel=1e-5)
    assert parts["style"].item() == pytest.approx(style.item(), rel=1e-5)
    assert parts["total"].item() == pytest.approx((parts["l1"] + 2 * perceptual + 3 * style).item(), rel=1e-5)


def test_l1_is_on_the_whole_image():
    keep = _keep_mask()
    out = torch.zeros(2, 3, 32, 32)
    target = torch.full((2, 3, 32, 32), 0.5)
    target[:, :, 8:24, 8:24] = -1.0  # |0 - (-1)| in the hole (a quarter of the pixels)
    parts = authors_inpainting_loss(out, target, keep, weights=NO_VGG)
    assert parts["l1"].item() == pytest.approx(0.75 * 0.5 + 0.25 * 1.0)
    assert parts["total"].item() == pytest.approx(0.625)


def test_vgg_terms_need_the_authors_taps():
    with pytest.raises(ValueError, match="relu1_1"):
        authors_inpainting_loss(torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 32, 32), torch.ones(1, 1, 32, 32),
                                weights=InpaintingWeights(1.0, 1.0, 0.0), vgg=VGGFeatures("vgg19", seed=0))


# --- LSGAN --------------------------------------------------------------------------------------


def test_lsgan_generator_and_discriminator_values():
    keep = torch.ones(2, 1, 4, 4)
    logits = torch.tensor([[0.5], [2.0]])
    parts = authors_inpainting_loss(torch.zeros(2, 3, 4, 4), torch.zeros(2, 3, 4, 4), keep,
                                    weights=InpaintingWeights(0.0, 0.0, 0.01), adversarial_logits=logits)
    assert parts["adversarial"].item() == pytest.approx((0.25 + 1.0) / 2)  # mean (D - 1)^2
    assert parts["total"].item() == pytest.approx(0.01 * 0.625)
    real, fake = torch.tensor([[1.0], [0.0]]), torch.tensor([[0.5], [0.0]])
    # real -> 1: (0 + 1) / 2; fake -> 0: (0.25 + 0) / 2; summed, not halved
    assert authors_discriminator_loss(real, fake).item() == pytest.approx(0.5 + 0.125)
    # the project's discriminator returns two maps: each counts
    assert authors_discriminator_loss((real, real), (fake, fake)).item() == pytest.approx(2 * 0.625)
    with pytest.raises(ValueError, match="lambda_adversarial"):
        authors_inpainting_loss(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4), keep[:1], weights=InpaintingWeights(0.0, 0.0, 0.01))


# --- mask buffer --------------------------------------------------------------------------------


def _coded(i: int) -> torch.Tensor:
    """A 1 x 1 x 4 binary mask that spells i in binary: every mask is told apart by its bits."""
    return torch.tensor([(i >> b) & 1 for b in range(4)], dtype=torch.float32).view(1, 1, 4)


def test_mask_pool_returns_new_masks_until_full_then_stored_ones():
    assert MaskPool().capacity == 500
    pool, g = MaskPool(3), torch.Generator().manual_seed(0)
    masks = [_coded(i) for i in range(1, 11)]
    first = pool.query(torch.stack(masks[:2]), g)
    assert torch.equal(first, torch.stack(masks[:2])) and len(pool) == 2
    second = pool.query(torch.stack(masks[2:4]), g)
    assert torch.equal(second[0], masks[2]) and len(pool) == 3  # the 3rd fills the buffer
    # the 4th: one of the three stored masks comes back and the 4th takes its slot
    slot = [k for k in range(3) if torch.equal(second[1], masks[k])]
    assert len(slot) == 1 and torch.equal(pool.masks[slot[0]].float(), masks[3])
    out = pool.query(torch.stack(masks[4:10]), g)
    assert len(pool) == 3 and out.shape == (6, 1, 1, 4) and out.dtype == torch.float32 and pool.masks[0].dtype == torch.bool
    for k, o in enumerate(out):  # each is an earlier mask, never the one just given
        assert any(torch.equal(o, m) for m in masks[: 4 + k]), k
    # slots are drawn uniformly from the generator: the same draws replayed give the same answers
    replay, stored = torch.Generator().manual_seed(0), [m for m in masks[:3]]
    expected = []
    for m in masks[3:10]:
        k = int(torch.randint(3, (1,), generator=replay))
        expected.append(stored[k])
        stored[k] = m
    assert torch.equal(torch.cat([second[1:], out]), torch.stack(expected))
    assert torch.equal(MaskPool(0).query(first, g), first)


def test_mask_pool_draws_follow_the_generator():
    def run(seed):
        pool, g = MaskPool(4), torch.Generator().manual_seed(seed)
        return torch.cat([pool.query(torch.rand(3, 1, 2, 2).round(), g) for _ in range(6)])

    torch.manual_seed(0)
    a = run(5)
    torch.manual_seed(0)
    assert torch.equal(a, run(5))


# --- discriminator adapter ----------------------------------------------------------------------


def _received_masks(net):
    seen = []
    net.register_forward_pre_hook(lambda module, args: seen.append(args[1].clone()))
    return seen


def test_adapter_gives_each_discriminator_its_mask():
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    keep = _keep_mask()
    authors = AuthorsGlobalLocalDiscriminator(32, 32, base_width=4, num_global_layers=5, num_local_layers=5)
    seen = _received_masks(authors)
    score = InpaintCritic(authors, authors_masks=True)(x, keep)
    assert score.shape == (2, 1) and torch.equal(seen[-1], keep)  # their code passes M
    InpaintCritic(authors, authors_masks=False)(x, keep)
    assert torch.equal(seen[-1], 1 - keep)  # paper losses: today's hole mask
    ours = GlobalLocalDiscriminator(base_width=4)
    seen = _received_masks(ours)
    maps = InpaintCritic(ours, authors_masks=True)(x, keep)
    assert isinstance(maps, tuple) and len(maps) == 2 and torch.equal(seen[-1], 1 - keep)


# --- settings -------------------------------------------------------------------------------------


def test_setting_defaults_to_paper_and_authors_needs_vgg19():
    params = tiny_params()
    assert "losses" not in params["training"]["inpainting"] and inpainting_losses(params) == "paper"
    params["training"]["inpainting"]["losses"] = "authors"
    with pytest.raises(ConfigError, match=r"training\.inpainting\.losses.*models\.vgg\.arch = 'vgg16'"):
        inpainting_losses(params)
    params["models"]["vgg"]["arch"] = "vgg19"
    assert inpainting_losses(params) == "authors"
    params["training"]["inpainting"]["losses"] = "theirs"
    with pytest.raises(ConfigError, match="paper, authors"):
        inpainting_losses(params)


# --- one tiny stage --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    from arc.training.stages import attention, depth

    root = tmp_path_factory.mktemp("inp_authors")
    # 48x64: the size params.yaml builds the authors' D for (its fully connected layer)
    cache, params = make_tiny_cache(root / "cache", height=48, width=64), tiny_params()
    params["models"]["vgg"] = {"arch": "vgg19", "weights": None, "fallback": "random"}
    params["training"]["inpainting"]["losses"] = "authors"
    depth.run(params, data_dir=cache, seed=0, out_dir=root / "mix", source="mix")
    attention.run(params, data_dir=cache, seed=0, out_dir=root / "att", depth=root / "mix" / "checkpoint.pt")
    return cache, root, params


@pytest.mark.parametrize("arch", ["project", "authors"])
def test_inpainting_stage_with_the_authors_losses(upstream, arch, monkeypatch):
    from arc.training.stages import inpainting

    cache, root, params = upstream
    params = copy.deepcopy(params)
    if arch == "authors":
        params["models"]["inpaint_discriminator"] = {"arch": "authors", "base_width": 4, "num_global_layers": 5, "num_local_layers": 5}
    calls = []

    class Spy(InpaintCritic):
        def __call__(self, images, keep_mask):
            calls.append((images.detach().clone(), keep_mask.clone()))
            return super().__call__(images, keep_mask)

    monkeypatch.setattr(inpainting, "InpaintCritic", Spy)
    out = root / f"inp_{arch}"
    summary = inpainting.run(params, data_dir=cache, seed=0, out_dir=out, attention=root / "att" / "checkpoint.pt")
    assert (out / "checkpoint.pt").is_file() and summary["losses"] == "authors" and summary["vgg"] == "random"
    losses = summary["last_epoch_losses"]
    assert {"l1", "perceptual", "style", "adversarial", "disc"} <= set(losses) and "l1_syn" not in losses
    assert all(math.isfinite(v) for v in losses.values()) and losses["perceptual"] > 0 and losses["style"] > 0
    # per step: generator (raw output, M), real (T(x) = x here, M), fake (the same raw output, M)
    gen, real, fake = calls[:3]
    assert torch.equal(gen[0], fake[0]) and torch.equal(gen[1], real[1]) and torch.equal(real[1], fake[1])
    keep = real[1]
    assert set(keep.unique().tolist()) <= {0.0, 1.0}
    assert not torch.allclose(fake[0] * keep, real[0] * keep)  # the fake is I's output, not the composite
    assert json.loads((out / "summary.json").read_text())["losses"] == "authors"
    assert "inpainter" in ckpt.read_checkpoint(out / "checkpoint.pt")["modules"]


# --- against the authors' loss.py (tools/authors_parity/make_inpainting_loss_fixture.py) ---------


def test_matches_the_authors_loss_functions():
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    record = json.loads((root / "tests" / "fixtures" / "authors_inpainting_losses.json").read_text())
    sys.path.insert(0, str(root / "tools" / "authors_parity"))
    try:
        from make_inpainting_loss_fixture import inputs
    finally:
        sys.path.remove(str(root / "tools" / "authors_parity"))
    output, target, keep = inputs(record["seed"], tuple(record["shape"]))
    vgg = VGGFeatures("vgg19", seed=record["seed"], layers=VGG_LAYERS, normalize=False)
    parts = authors_inpainting_loss(output, target, keep, weights=InpaintingWeights(1.0, 1.0, 0.0), vgg=vgg)
    for name, value in record["values"].items():
        assert parts[name].item() == pytest.approx(value, rel=1e-4), name
