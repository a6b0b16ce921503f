"""Every registered network: builds by name, runs forward/backward at two input sizes."""

from __future__ import annotations

import pytest
import torch

from arc.errors import ConfigError
from arc.models import build_model, count_parameters, list_models, model_spec

# Tiny settings per registered network, and the expected output for a B x 3 x H x W input.
TINY = {
    "depth_unet": {"base_width": 4, "num_downsamples": 3, "num_inception_blocks": 1},
    "attention_net": {"base_width": 4, "num_res_blocks": 1},
    "resnet_generator": {"base_width": 4, "num_downsamples": 2, "num_res_blocks": 1},
    "patch_discriminator": {"base_width": 4, "num_layers": 2},
    "global_local_discriminator": {"base_width": 4},
    "vgg_features": {},
    # T2Net's feature MLP takes a fixed-size map; the test gives it the image size (see _tiny_kwargs).
    "feature_discriminator": {"in_channels": 3, "hidden_width": 8},
    "authors_depth_unet": {"base_width": 4},
    "authors_attention": {"base_width": 4, "num_res_blocks": 1},
    "authors_generator": {"base_width": 4, "num_res_blocks": 1},
    "authors_patch_discriminator": {"base_width": 4},
    # its FC layer takes the image size (see _tiny_kwargs); no unused class head (it has no gradient)
    "authors_global_local_discriminator": {"base_width": 4, "num_global_layers": 4, "num_local_layers": 3, "num_classes": 0},
}
# The authors' PatchGAN's unpadded convs need more than 32 pixels: it runs at twice the size.
SCALE = {"authors_patch_discriminator": 2}
SIZES = [(32, 32), (48, 64)]


def _tiny_kwargs(name: str, size: tuple[int, int]) -> dict:
    if name in ("feature_discriminator", "authors_global_local_discriminator"):
        return {**TINY[name], "height": size[0], "width": size[1]}
    return TINY[name]


def _run(name: str, model: torch.nn.Module, x: torch.Tensor):
    if name == "authors_global_local_discriminator":
        return [model(x, (x[:, :1] > 0).float())]
    if name == "global_local_discriminator":
        hole = torch.zeros(x.shape[0], 1, *x.shape[-2:])
        hole[0, :, 4:12, 6:20] = 1.0  # sample 1 has no hole: whole image is the local view
        return list(model(x, hole))
    out = model(x)
    return out if isinstance(out, list) else [out]


def test_every_registered_model_has_a_test_spec():
    assert set(list_models()) == set(TINY), "add tiny settings for new networks to TINY"


@pytest.mark.parametrize("name", sorted(TINY))
@pytest.mark.parametrize("size", SIZES)
def test_forward_backward_shapes(name, size):
    torch.manual_seed(0)
    model = build_model(name, **_tiny_kwargs(name, size))
    model.train()
    h, w = (n * SCALE.get(name, 1) for n in size)
    x = torch.rand(2, 3, h, w, requires_grad=True) * 2 - 1
    x.retain_grad()
    outputs = _run(name, model, x)

    if name in ("depth_unet", "attention_net", "authors_depth_unet", "authors_attention"):
        assert outputs[0].shape == (2, 1, h, w)
    elif name in ("resnet_generator", "authors_generator"):
        assert outputs[0].shape == (2, 3, h, w)
    elif name in ("feature_discriminator", "authors_global_local_discriminator"):
        assert outputs[0].shape == (2, 1)
    elif name == "vgg_features":
        assert [o.shape for o in outputs] == [(2, 64, h, w), (2, 128, h // 2, w // 2), (2, 256, h // 4, w // 4)]
    else:  # discriminators: a map of patch logits per image
        for o in outputs:
            assert o.dim() == 4 and o.shape[:2] == (2, 1) and o.shape[-1] >= 1
    if name in ("depth_unet", "authors_depth_unet"):
        assert outputs[0].abs().max() <= 1.0  # tanh range
    sum(o.square().mean() for o in outputs).backward()

    assert x.grad is not None and x.grad.abs().sum() > 0
    trainable = [p for p in model.parameters() if p.requires_grad]
    if name == "vgg_features":
        assert trainable == []  # frozen
    else:
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in trainable)
        assert sum(p.grad.abs().sum() for p in trainable) > 0


def test_build_model_records_spec_and_rejects_bad_settings():
    model = build_model("depth_unet", base_width=4, num_downsamples=2, num_inception_blocks=0)
    assert model_spec(model) == {"name": "depth_unet", "kwargs": {"base_width": 4, "num_downsamples": 2,
                                                                    "num_inception_blocks": 0}}
    assert count_parameters(model) > 0
    with pytest.raises(ConfigError, match="no_such_net"):
        build_model("no_such_net")
    with pytest.raises(ConfigError, match="widht"):
        build_model("depth_unet", widht=4)


def test_depth_unet_rejects_indivisible_sizes():
    model = build_model("depth_unet", base_width=4, num_downsamples=3, num_inception_blocks=1)
    with pytest.raises(ValueError, match="20x32.*divisible by 8"):
        model(torch.zeros(2, 3, 20, 32))


def test_attention_net_handles_any_size():
    model = build_model("attention_net", base_width=4, num_res_blocks=1).eval()
    assert model(torch.zeros(1, 3, 30, 45)).shape == (1, 1, 30, 45)
