"""Stage `inpainting`: pretrain I self-supervised with A (and T) fixed (ARC Sec. 3.2, eq. 9).

Holes: M = hard A(x_r) mask  x  one random rectangle per image (1/4..1/2 of each side), so I
learns on A's hole shapes and always has something to fill. Inputs: T(x_r) (x_r without T) and
synthetic images x_s (each syn image takes the hole mask of a real image of the same batch).
    l_I = |I(M*x) - x|_1 + lambda_perceptual * sum_k |phi_k(I(M*x)) - phi_k(x)|_1
        + lambda_style * sum_k |Gram(phi_k(I(M*x))) - Gram(phi_k(x))|_1
        + lambda_adversarial * lsgan(D_gl(x_tilde_r, 1 - M) -> real)
with x = T(x_r) as in eqs. 4-8 (expectations over real images), plus |I(M*x_s) - x_s|_1 on the
synthetic images (Sec. 3.5 trains I on tweaked real and synthetic images; the VGG terms stay on
the real half, which also halves their cost). x_tilde_r = (1 - M) * I(M * T(x_r)) + M * T(x_r). The global + local discriminator (LSGAN,
optim.lr_discriminator) separates synthetic images (real) from x_tilde_r (fake), both with the
same hole masks, so I fills holes "like synthetic data" (eq. 8).
phi = the frozen VGG (models.vgg); with no weights and fallback ``random`` a seeded random VGG
is used (reported in summary.json), with ``off`` the perceptual/style terms are dropped.
An epoch is one pass over the larger training set, the other cycled (arc.training.data).
Model selection: the last epoch; val.csv records the hole L1 on real_val with A's masks.

``training.inpainting.losses: authors`` (the paper presets) swaps the step for the authors' code
(arc/losses/inpainting_authors.py): holes = A's mask only, drawn through a 500-mask buffer
(arc/training/mask_pool.py); L1 and VGG19 perceptual on the whole image, style on the hole, no
ImageNet normalisation; D real = T(x_r), fake = I's raw output, both with M; no synthetic images.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from arc.losses.adversarial import GANLoss, discriminator_loss
from arc.losses.inpainting import InpaintingWeights, inpainting_loss
from arc.losses.inpainting_authors import VGG_LAYERS, authors_discriminator_loss, authors_inpainting_loss, inpainting_losses
from arc.training import checkpoint as ckpt
from arc.training.data import validation_batches
from arc.training.inpaint_critic import InpaintCritic
from arc.training.loop import Hook
from arc.training.mask_pool import MaskPool
from arc.training.optim import make_adam
from arc.training.recipe import batch_stat_roles, stage_optim
from arc.training.runner import StagePlan, run_training
from arc.training.stages.common import (
    build_network,
    build_vgg,
    check_epochs,
    check_discriminator_fits,
    check_input_size,
    check_translator_pairing,
    feed_hooks,
    freeze,
    front_of,
    load_upstream,
    optimize,
    pipeline_roles,
    prepare_stage,
    scalars,
    section,
)

STAGE = "inpainting"


def random_box_keep_mask(n: int, height: int, width: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """(n,1,H,W) float mask, 0 inside one random rectangle per image (1/4 to 1/2 of each side)."""

    def spans(size: int) -> tuple[torch.Tensor, torch.Tensor]:
        lo, hi = max(size // 4, 1), max(size // 2, 1)
        length = torch.randint(lo, hi + 1, (n,), generator=generator, device=device)
        start = (torch.rand(n, generator=generator, device=device) * (size - length + 1).float()).long()
        return start, start + length

    (y0, y1), (x0, x1) = spans(height), spans(width)
    rows = torch.arange(height, device=device).view(1, height, 1)
    cols = torch.arange(width, device=device).view(1, 1, width)
    inside = (rows >= y0.view(n, 1, 1)) & (rows < y1.view(n, 1, 1)) & (cols >= x0.view(n, 1, 1)) & (cols < x1.view(n, 1, 1))
    return (~inside).float().unsqueeze(1)


def run(
    params: dict,
    *,
    data_dir,
    seed: int,
    out_dir,
    attention,
    translator=None,
    resume: bool = True,
    hooks: Sequence[Hook] = (),
) -> dict:
    cfg = section(params, "training", STAGE)
    epochs = check_epochs(cfg.get("epochs"), f"training.{STAGE}.epochs")
    weights = InpaintingWeights.from_params(cfg)  # checks the weights are >= 0
    authors = inpainting_losses(params) == "authors"
    if attention is None:
        load_upstream(None, "attention", stage=STAGE, flag="--attention", params=params)
    check_translator_pairing(attention, translator, stage=STAGE, flag="--attention")
    ctx = prepare_stage(STAGE, params, data_dir=data_dir, seed=seed, out_dir=out_dir, domains=("syn", "real"))
    check_input_size(params, ["inpainter", "translator"] if translator else ["inpainter"], ctx.data.height, ctx.data.width, ctx.data.data_dir)

    nets = {"attention": freeze(load_upstream(attention, "attention", stage=STAGE, flag="--attention", params=params))}
    if translator is not None:
        nets["translator"] = freeze(load_upstream(translator, "translator", stage=STAGE, flag="--translator", params=params))
    nets["inpainter"] = build_network(params, "inpainter")
    optimizers = {"inpainter": make_adam(nets["inpainter"].parameters(), stage_optim(params, STAGE))}
    if weights.lambda_adversarial > 0:
        nets["disc_inpaint"] = build_network(params, "disc_inpaint")
        check_discriminator_fits(
            nets["disc_inpaint"], "disc_inpaint", ctx.data.height, ctx.data.width,
            "set training.inpainting.lambda_adversarial: 0 (no discriminator) or use larger images",
        )
        optimizers["disc_inpaint"] = make_adam(nets["disc_inpaint"].parameters(), stage_optim(params, STAGE), discriminator=True)
    vgg = build_vgg(params, layers=VGG_LAYERS, normalize=False) if authors else build_vgg(params)
    if vgg is None:
        weights = InpaintingWeights(0.0, 0.0, weights.lambda_adversarial)
    else:
        vgg.to(ctx.device)
    for net in nets.values():
        net.to(ctx.device)
    front = front_of(attention=nets["attention"], translator=nets.get("translator"))
    inpainter, disc = nets["inpainter"], nets.get("disc_inpaint")
    critic = InpaintCritic(disc, authors_masks=authors) if disc is not None else None
    gan = GANLoss("lsgan")
    # D (and anything else upstream) rides along so this checkpoint describes the row so far.
    carried = {r: rec for r, rec in ckpt.pipeline_records(attention, needed_for=f"stage {STAGE!r}").items() if r not in nets}

    def step(batch, state) -> dict[str, float]:
        x_r = ctx.to_device(batch["real"])["rgb"]
        x_s = ctx.to_device(batch["syn"])["rgb"]
        with torch.no_grad():
            out = front(x_r, hard=True)
            target_r = out["translated"]
            mask_r = out["mask"] * random_box_keep_mask(x_r.shape[0], x_r.shape[-2], x_r.shape[-1], ctx.generator, ctx.device)
        mask_s = mask_r[torch.arange(x_s.shape[0], device=ctx.device) % x_r.shape[0]]
        n_r = x_r.shape[0]
        with ctx.runtime.autocast():
            filled = inpainter(torch.cat([mask_r * target_r, mask_s * x_s]))
            filled_r, filled_s = filled[:n_r].float(), filled[n_r:].float()
            composite_r = mask_r * target_r + (1.0 - mask_r) * filled_r
            logits = None
            if disc is not None:
                disc.requires_grad_(False)
                logits = critic(composite_r, mask_r)
            # eqs. 4-9 on the real images; the synthetic ones add the L1 reconstruction term.
            parts = inpainting_loss(filled_r, target_r, weights=weights, features=vgg, adversarial_logits=logits, gan=gan)
            parts["l1_syn"] = F.l1_loss(filled_s, x_s)
            parts["total"] = parts["total"] + parts["l1_syn"]
        optimize(parts["total"], optimizers["inpainter"])
        losses = {("l1_real" if k == "l1" else k): v for k, v in parts.items() if k != "total"}
        if disc is not None:
            disc.requires_grad_(True)
            n = min(n_r, x_s.shape[0])
            with ctx.runtime.autocast():
                losses["disc"] = discriminator_loss(gan, critic(x_s[:n], mask_r[:n]), critic(composite_r[:n].detach(), mask_r[:n]))
            optimize(losses["disc"], optimizers["disc_inpaint"])
        return scalars({**losses, "total": parts["total"], "hole_fraction": 1.0 - mask_r.mean()})

    pool = MaskPool()  # the authors' Mask_Buffer(500)

    def authors_step(batch, state) -> dict[str, float]:
        x_r = ctx.to_device(batch["real"])["rgb"]
        with torch.no_grad():
            out = front(x_r, hard=True)
            target_r = out["translated"]
            mask_r = pool.query(out["mask"], ctx.generator)
        with ctx.runtime.autocast():
            filled_r = inpainter(mask_r * target_r).float()
            logits = None
            if critic is not None:
                disc.requires_grad_(False)
                logits = critic(filled_r, mask_r)
            parts = authors_inpainting_loss(filled_r, target_r, mask_r, weights=weights, vgg=vgg, adversarial_logits=logits)
        optimize(parts["total"], optimizers["inpainter"])
        losses = {k: v for k, v in parts.items() if k != "total"}
        if critic is not None:
            disc.requires_grad_(True)
            with ctx.runtime.autocast():
                losses["disc"] = authors_discriminator_loss(critic(target_r, mask_r), critic(filled_r.detach(), mask_r))
            optimize(losses["disc"], optimizers["disc_inpaint"])
        return scalars({**losses, "total": parts["total"], "hole_fraction": 1.0 - mask_r.mean()})

    @torch.no_grad()
    def validate() -> dict[str, float]:
        hole_err = hole_px = full_err = keep = 0.0
        count = 0
        for batch in validation_batches(ctx.data["val"], ctx.batch_size, ctx.runtime.num_workers):
            out = front(batch["rgb"].to(ctx.device), hard=True)
            target, mask = out["translated"].float(), out["mask"].float()
            err = (inpainter(mask * target).float() - target).abs()
            hole_err += float((err * (1.0 - mask)).sum())
            hole_px += float((1.0 - mask).sum()) * target.shape[1]
            full_err += float(err.mean()) * target.shape[0]
            keep += float(mask.mean()) * target.shape[0]
            count += target.shape[0]
        return {
            "hole_l1": hole_err / hole_px if hole_px else float("nan"),
            "full_l1": full_err / count,
            "keep_rate": keep / count,
        }

    plan = StagePlan(
        networks=nets,
        trainable=tuple(r for r in nets if r in ("inpainter", "disc_inpaint")),
        optimizers=optimizers,
        epochs=epochs,
        steps_per_epoch=lambda epoch: ctx.steps_per_epoch,
        batches=lambda epoch: ctx.batches(("syn", "real"), epoch),
        step_fn=lambda epoch: authors_step if authors else step,
        validate=validate,
        metric=None,
        selection="last",
        saved_roles=pipeline_roles(nets),
        passengers=carried,
        meta={
            "translated": translator is not None,
            "rho": ckpt.read_checkpoint(attention)["meta"].get("rho"),
            "vgg": "off" if vgg is None else ("pretrained" if vgg.pretrained else "random"),
            "lambda_perceptual": weights.lambda_perceptual,
            "lambda_style": weights.lambda_style,
            **({"losses": "authors"} if authors else {}),  # absent under paper: existing checkpoints stay byte-identical
        },
        inputs={k: v for k, v in (("attention", attention), ("translator", translator)) if v is not None},
        # training.frozen_bn: train (the authors): the fixed A and T run on batch statistics
        batch_stats=batch_stat_roles(params, tuple(r for r in ("attention", "translator") if r in nets)),
    )
    # the pool's masks go into last.pt
    return run_training(ctx, plan, resume=resume, extra_hooks=[*feed_hooks(ctx, plan), *hooks, pool])
