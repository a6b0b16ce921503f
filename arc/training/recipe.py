"""Training-recipe settings shared by the stages: the paper text / project defaults, or the
authors' code (yunhan-zhao/ARC @13add94; see docs/deviations.md "## Training").

    training.epoch       synthetic (default): one pass over the larger set (the synthetic one)
                         real: one pass over the real set, each real batch paired with a random
                         synthetic batch (the authors' Joint_xLabel_dataLoader)
    training.flip        false (default) | true: random horizontal flip per image, the same for
                         its rgb, depth and validity (the authors' loaders)
    training.flip_pairs  false (default): each domain's images flipped on their own
                         true: the real image and the synthetic image at the same batch position
                         flipped together (the authors' paired loader draws one flip per pair)
    training.bn_passes   mixed (default): real and synthetic images in one batch through D
                         separate: one forward pass each, so D's BatchNorm sees single-domain
                         batches (the authors' code)
    training.frozen_bn   eval (default): fixed upstream networks run on their running statistics
                         train: they stay in train mode, run on batch statistics and their running
                         statistics keep moving (the authors' code: A and T in the inpainting stage,
                         T and I in the joint stage, A in fine-tuning)
    training.syn_depth_l1  masked (default): the synthetic depth L1 over depth > 0
                           unmasked: over every pixel (the authors' code)
    training.<stage>.feed_fraction   (translator, attention, inpainting) 1.0 (default): later stages
                         load the stage's selected checkpoint; f < 1: the stage also saves feed.pt at
                         epoch round(f * epochs) and later stages load that (the authors: T at
                         480/500, A and I at 450/500)
    training.attention.mask_noise   logistic (default) | gumbel (eq. 1, the authors' code)
    training.attention.mask_fp32    false (default): under bf16 autocast the soft mask is bf16, so keep
                                    probabilities above ~0.998 round to 1 and get no gradient
                                    true: the mask and the masking in float32 (as under the authors'
                                    apex O1, where the fp32 noise promotes the sum)
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
FROZEN_BN = ("eval", "train")
SYN_DEPTH_L1 = ("masked", "unmasked")
FEED_STAGES = ("translator", "attention", "inpainting")  # the stages whose checkpoints later stages load


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


def _flag(params: Mapping, key: str) -> bool:
    value = setting(params, f"training.{key}")
    if not isinstance(value, bool):
        raise ConfigError(f"training.{key} = {value!r}: expected true | false")
    return value


def flip_pairs(params: Mapping) -> bool:
    return _flag(params, "flip_pairs")


def frozen_bn(params: Mapping) -> str:
    return _choice(setting(params, "training.frozen_bn"), FROZEN_BN, "training.frozen_bn")


def batch_stat_roles(params: Mapping, frozen: tuple[str, ...]) -> tuple[str, ...]:
    """The fixed networks of a stage that run in train mode (batch statistics) under training.frozen_bn."""
    return tuple(frozen) if frozen_bn(params) == "train" else ()


def syn_depth_valid_only(params: Mapping) -> bool:
    """Whether the synthetic depth L1 skips depth <= 0 pixels (training.syn_depth_l1)."""
    return _choice(setting(params, "training.syn_depth_l1"), SYN_DEPTH_L1, "training.syn_depth_l1") == "masked"


def feed_fraction(params: Mapping, stage: str) -> float:
    """training.<stage>.feed_fraction: where in the stage the checkpoint later stages load is taken."""
    value = setting(params, f"training.{stage}.feed_fraction")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ConfigError(f"training.{stage}.feed_fraction = {value!r}: expected a number in (0, 1] (1 = the last epoch)")
    return float(value)


def feed_epoch(fraction: float, epochs: int) -> int:
    """The 1-based epoch whose weights feed later stages: round(fraction * epochs), at least 1."""
    return min(epochs, max(1, math.floor(fraction * epochs + 0.5)))


def bn_passes(params: Mapping) -> str:
    return _choice(setting(params, "training.bn_passes"), BN_PASSES, "training.bn_passes")


def mask_fp32(params: Mapping) -> bool:
    """training.attention.mask_fp32: the soft mask (and what it multiplies) in float32 under autocast."""
    value = setting(params, "training.attention.mask_fp32")
    if not isinstance(value, bool):
        raise ConfigError(f"training.attention.mask_fp32 = {value!r}: expected true | false")
    return value


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


def flip_batch(batch: Mapping, generator: torch.Generator | None = None, flipped: torch.Tensor | None = None) -> dict:
    """Flip each image of the batch left-right with probability 1/2 (drawn from ``generator``), or
    where ``flipped`` says (a bool per image): rgb, depth and valid alike."""
    out = dict(batch)
    keys = [k for k in ("rgb", "depth", "valid") if torch.is_tensor(batch.get(k))]
    n = batch[keys[0]].shape[0]
    flipped = torch.rand(n, generator=generator) < 0.5 if flipped is None else flipped[:n]
    for key in keys:
        x = batch[key]
        out[key] = torch.where(flipped.view(-1, *([1] * (x.dim() - 1))), x.flip(-1), x)
    out["flipped"] = flipped
    return out


def paired_flips(group: Mapping[str, Mapping], generator: torch.Generator) -> dict:
    """One flip draw per batch position, shared by every domain of ``group`` ({domain: batch}):
    the real and synthetic images at position i are flipped together (the authors' loader)."""
    n = max(batch["rgb"].shape[0] for batch in group.values())
    flipped = torch.rand(n, generator=generator) < 0.5
    return {domain: flip_batch(batch, flipped=flipped) for domain, batch in group.items()}


def depth_pair(depth: nn.Module, real_in: torch.Tensor, syn_in: torch.Tensor, mode: str) -> tuple[torch.Tensor, torch.Tensor]:
    """D's predictions on the real and synthetic inputs: one mixed batch or two passes."""
    if mode == "separate":
        return depth(real_in), depth(syn_in)
    pred = depth(torch.cat([real_in, syn_in]))
    n = real_in.shape[0]
    return pred[:n], pred[n:]
