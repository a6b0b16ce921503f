"""How the authors' modules correspond to ours, for parity checks (tools/authors_parity, tests).

The state_dict keys of every ``authors_*`` network are the authors' own (same attribute names,
same layer positions; padding layers hold no state), so their weights load into ours with
``load_state_dict(strict=True)`` and the mapping is the identity:

| role | ours | theirs (yunhan-zhao/ARC @13add94) |
|---|---|---|
| depth | authors_depth_unet | models/depth_generator_networks.py _UNetGenerator(input_nc=3, output_nc=1, ngf=w) |
| attention | authors_attention | models/attention_networks.py _Attention_FullRes(input_nc=3, output_nc=1, ngf=w) |
| translator, inpainter | authors_generator | models/depth_generator_networks.py _ResGenerator_Upsample(input_nc=3, output_nc=3, ngf=w) |
| patch_discriminator | authors_patch_discriminator | models/discriminator_networks.py Discriminator80x80InstNorm(input_nc=3) (width fixed at 64) |
| inpaint_discriminator | authors_global_local_discriminator | models/discriminator_networks.py DiscriminatorGlobalLocal(image_size=240, conv_dim=w) |

A shared module (the one PReLU of D, A, T, I) appears under several keys in both.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn


def fill_seeded_(module: nn.Module, seed: int) -> nn.Module:
    """Overwrite every floating state tensor from a seeded generator, visiting keys in sorted
    order, so that two modules with the same keys and shapes (ours and the authors') get the
    same values without storing weights. BatchNorm scales and running variances are drawn
    positive (0.5..1.5); everything else ~ N(0, 0.1)."""
    gen = torch.Generator().manual_seed(seed)
    state = module.state_dict(keep_vars=True)
    with torch.no_grad():
        for key in sorted(state):
            tensor = state[key]
            if not tensor.is_floating_point():
                continue
            positive = key.endswith("running_var") or (key.endswith(".weight") and tensor.dim() == 1 and _is_norm_scale(module, key))
            values = torch.rand(tensor.shape, generator=gen) + 0.5 if positive else torch.randn(tensor.shape, generator=gen) * 0.1
            tensor.copy_(values)
    return module


def _is_norm_scale(module: nn.Module, key: str) -> bool:
    return isinstance(module.get_submodule(key.rsplit(".", 1)[0]), nn.BatchNorm2d)


def fill_fan_in_seeded_(module: nn.Module, seed: int, gains: dict[str, float] | None = None) -> nn.Module:
    """``fill_seeded_``, then every weight of two or more dimensions rescaled from std 0.1 to
    std gain / sqrt(fan_in) (fan_in = size(1) x kernel area, torch's convention), with gain 1 or
    ``gains[prefix]`` for the keys under a listed prefix (e.g. {"output1.": 0.5}).

    Why: at paper width (fan-in 576 and more) N(0, 0.1) grows the activations layer by layer,
    so A's logits explode and the tanh of D, T and I saturates (|out| = 1), where a parity check
    says little. Fan-in scaled weights keep every layer's output near unit scale; the gains let
    a fixture pull a head well inside tanh's range in train mode too (BatchNorm on batch
    statistics feeds the heads unit-variance features)."""
    fill_seeded_(module, seed)
    gains = gains or {}
    seen: set[int] = set()
    with torch.no_grad():
        for key, tensor in sorted(module.state_dict(keep_vars=True).items()):
            if not tensor.is_floating_point() or tensor.dim() < 2 or id(tensor) in seen:
                continue
            seen.add(id(tensor))  # a shared module appears under several keys: rescale it once
            gain = next((g for prefix, g in gains.items() if key.startswith(prefix)), 1.0)
            fan_in = tensor.shape[1] * tensor[0, 0].numel()
            tensor.mul_(gain / (0.1 * math.sqrt(fan_in)))
    return module

