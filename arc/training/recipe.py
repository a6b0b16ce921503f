"""Training-recipe settings shared by the stages: the paper text / project defaults, or the
authors' code (yunhan-zhao/ARC @13add94; see docs/deviations.md "## Training").

    training.epoch       synthetic (default): one pass over the larger set (the synthetic one)
                         real: one pass over the real set, each real batch paired with a random
                         synthetic batch (the authors' Joint_xLabel_dataLoader)
    training.flip        false (default) | true: random horizontal flip per image, the same for
                         its rgb, depth and validity (the authors' loaders)
    training.bn_passes   mixed (default): real and synthetic images in one batch through D
                         separate: one forward pass each, so D's BatchNorm sees single-domain
                         batches (the authors' code)
    training.attention.mask_noise   logistic (default) | gumbel (eq. 1, the authors' code)
    optim.stage_lr.<stage>          lr of every optimiser of that stage (generators and
                                    discriminators); absent: optim.lr / optim.lr_discriminator
"""

from __future__ import annotations

import math
from typing import Mapping

import torch
import torch.nn as nn

from arc.errors import ConfigError
from arc.settings import setting
from arc.models.gumbel import NOISES

EPOCHS = ("synthetic", "real")
BN_PASSES = ("mixed", "separate")


def _choice(value, allowed, key: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{key} = {value!r}: expected one of {' | '.join(allowed)}")
    return value


def epoch_mode(params: Mapping) -> str:
    return _choice(setting(params, "training.epoch"), EPOCHS, "training.epoch")


def flips(params: Mapping) -> bool:
    value = setting(params, "training.flip")
    if not isinstance(value, bool):
        raise ConfigError(f"training.flip = {value!r}: expected true | false")
    return value


def bn_passes(params: Mapping) -> str:
    return _choice(setting(params, "training.bn_passes"), BN_PASSES, "training.bn_passes")


def mask_noise(params: Mapping) -> str:
    return _choice(setting(params, "training.attention.mask_noise"), NOISES, "training.attention.mask_noise")


def stage_optim(params: Mapping, stage: str) -> dict:
    """``params["optim"]`` with the stage's own lr (optim.stage_lr.<stage>) for every optimiser."""
    optim = dict(params["optim"])
    lrs = optim.pop("stage_lr", None) or {}
    if stage in lrs:
        lr = lrs[stage]
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
            raise ConfigError(f"optim.stage_lr.{stage} = {lr!r}: expected a positive number")
        optim["lr"] = optim["lr_discriminator"] = float(lr)
    return optim


def steps_per_epoch(params: Mapping, counts: Mapping[str, int], batch_size: int) -> int:
    """Steps of one epoch under ``training.epoch`` (counts: training images per domain)."""
    if epoch_mode(params) == "real":
        return math.ceil(counts["real"] / batch_size)
    return math.ceil(max(counts.values()) / batch_size)


def flip_batch(batch: Mapping, generator: torch.Generator) -> dict:
    """Flip each image of the batch left-right with probability 1/2: rgb, depth and valid alike."""
    out = dict(batch)
    keys = [k for k in ("rgb", "depth", "valid") if torch.is_tensor(batch.get(k))]
    n = batch[keys[0]].shape[0]
    flipped = torch.rand(n, generator=generator) < 0.5
    for key in keys:
        x = batch[key]
        out[key] = torch.where(flipped.view(-1, *([1] * (x.dim() - 1))), x.flip(-1), x)
    out["flipped"] = flipped
    return out


def depth_pair(depth: nn.Module, real_in: torch.Tensor, syn_in: torch.Tensor, mode: str) -> tuple[torch.Tensor, torch.Tensor]:
    """D's predictions on the real and synthetic inputs: one mixed batch or two passes."""
    if mode == "separate":
        return depth(real_in), depth(syn_in)
    pred = depth(torch.cat([real_in, syn_in]))
    n = real_in.shape[0]
    return pred[:n], pred[n:]
