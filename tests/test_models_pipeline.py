"""ARCPipeline composition: identity for missing modules, exact kept pixels, describe()."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from arc.models import ARCPipeline, build_model, compose_inpainting


class Constant(nn.Module):
    """A fake inpainter that fills every pixel with one value."""

    def __init__(self, value: float):
        super().__init__()
        self.value = value

    def forward(self, x):
        return torch.full_like(x, self.value)


def _tiny(name, **extra):
    kwargs = {
        "depth_unet": dict(base_width=4, num_downsamples=2, num_inception_blocks=1),
        "attention_net": dict(base_width=4, num_res_blocks=1),
        "resnet_generator": dict(base_width=4, num_downsamples=2, num_res_blocks=1),
    }[name]
    return build_model(name, **kwargs, **extra)


def test_hard_composition_keeps_unmasked_pixels_bit_exact():
    g = torch.Generator().manual_seed(0)
    image = torch.randn(2, 3, 8, 8, generator=g) * 1e3  # large values would expose any arithmetic drift
    mask = (torch.rand(2, 1, 8, 8, generator=g) > 0.3).float()
    filled = torch.randn(2, 3, 8, 8, generator=g)
    out = compose_inpainting(image, mask, filled, hard=True)
    keep = mask.bool().expand_as(image)
    assert torch.equal(out[keep], image[keep])
    assert torch.equal(out[~keep], filled[~keep])


def test_soft_composition_matches_formula_and_is_exact_at_mask_one():
    g = torch.Generator().manual_seed(1)
    image = torch.randn(2, 3, 8, 8, generator=g)
    mask = torch.rand(2, 1, 8, 8, generator=g)
    mask[:, :, :4] = 1.0  # exactly kept rows
    filled = torch.randn(2, 3, 8, 8, generator=g)
    out = compose_inpainting(image, mask, filled, hard=False)
    assert torch.allclose(out, (1 - mask) * filled + mask * image)
    assert torch.equal(out[:, :, :4], image[:, :, :4])


def test_eval_pipeline_uses_hard_mask_and_keeps_translated_pixels():
    torch.manual_seed(0)
    translator = _tiny("resnet_generator")
    pipe = ARCPipeline(_tiny("depth_unet"), attention=_tiny("attention_net"), translator=translator,
                       inpainter=Constant(0.123)).eval()
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        out = pipe(x)
        translated = translator(x)
    assert set(out["mask"].unique().tolist()) == {0.0, 1.0}  # binary, with both kept and removed pixels
    assert torch.equal(out["mask"], (out["mask_logits"] >= 0).float())  # A saw the raw x
    keep = out["mask"].bool().expand_as(x)
    assert torch.equal(out["translated"], translated)
    assert torch.equal(out["inpainted"][keep], translated[keep])
    assert (out["inpainted"][~keep] == 0.123).all()
    assert torch.equal(out["net_input"], out["inpainted"])
    assert torch.equal(out["masked"], out["mask"] * translated)
    assert out["depth_unit"].shape == (2, 1, 16, 16)


def test_training_pipeline_soft_mask_needs_tau_and_backpropagates_to_attention():
    torch.manual_seed(0)
    attention = _tiny("attention_net")
    pipe = ARCPipeline(_tiny("depth_unet"), attention=attention, inpainter=_tiny("resnet_generator")).train()
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    with pytest.raises(ValueError, match="tau"):
        pipe(x)
    out = pipe(x, tau=0.5, generator=torch.Generator().manual_seed(3))
    assert ((out["mask"] > 0) & (out["mask"] < 1)).any()  # soft
    out["depth_unit"].mean().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in attention.parameters())
    hard = pipe(x, hard=True)
    assert set(hard["mask"].unique().tolist()) <= {0.0, 1.0}


def test_missing_modules_are_identity_and_describe_round_trips():
    torch.manual_seed(0)
    depth = _tiny("depth_unet")
    pipe = ARCPipeline(depth).eval()
    x = torch.rand(1, 3, 16, 16)
    out = pipe(x)
    assert out["mask"] is None and out["mask_logits"] is None
    for key in ("translated", "masked", "inpainted", "net_input"):
        assert out[key] is x
    with torch.no_grad():
        assert torch.equal(out["depth_unit"], depth(x))

    full = ARCPipeline(depth, attention=_tiny("attention_net"), translator=_tiny("resnet_generator"))
    desc = full.describe()
    assert desc["inpainter"] is None
    assert desc["depth"] == {"name": "depth_unet",
                             "kwargs": dict(base_width=4, num_downsamples=2, num_inception_blocks=1)}
    rebuilt = ARCPipeline.from_description(desc)
    assert rebuilt.inpainter is None and rebuilt.describe() == desc
    rebuilt.load_state_dict(full.state_dict())  # same architecture, same keys


def test_attention_without_inpainter_feeds_masked_image_to_depth():
    torch.manual_seed(0)
    pipe = ARCPipeline(_tiny("depth_unet"), attention=_tiny("attention_net")).eval()
    x = torch.rand(1, 3, 16, 16) + 0.5  # strictly positive so removed pixels are visible as 0
    out = pipe(x)
    assert torch.equal(out["net_input"], out["mask"] * x)


def test_a_given_mask_without_attention_zero_fills_through_t_and_d():
    torch.manual_seed(0)
    translator = _tiny("resnet_generator")
    pipe = ARCPipeline(_tiny("depth_unet"), translator=translator).eval()
    x = torch.rand(2, 3, 16, 16)
    keep = (torch.rand(2, 1, 16, 16) > 0.3).float()
    with torch.no_grad():
        out = pipe(x, mask=keep)
        plain = pipe(x)
    assert out["mask_logits"] is None and torch.equal(out["mask"], keep)
    assert torch.equal(out["net_input"], keep * translator(x))  # A's training fill: 0
    assert plain["mask"] is None and not torch.equal(out["depth_unit"], plain["depth_unit"])
