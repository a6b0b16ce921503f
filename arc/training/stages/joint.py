"""Stage `joint`: train D and A together, T and I fixed (the authors' step 5 with --inpainter
and lambda_adversarial 1e-3; in the rows of the authors' recipe).

    l = ||D(x~_r) - y_r||_1 + ||D(x_s) - y_s||_1 + lambda_kl * KL(rho || mean(M))
        [+ lambda_adversarial * bce(P(I(M * T(x_r))), real)]
M = Gumbel-sigmoid(A(x_r), tau) (training.attention.mask_noise) at the final pretraining
temperature training.attention.tau_end; x~_r = (1 - M) * I(M * T(x_r)) + M * T(x_r) with
--inpainter (I in the loop), else M * T(x_r). With training.joint.lambda_adversarial > 0 a
PatchGAN P judges I's raw output (M * T(x_r) without I) against synthetic images (BCE); its
gradient reaches A through the fixed I. D sees real and synthetic images in one batch or in two
passes (training.bn_passes).
An epoch is one pass over the larger training set, the other cycled (arc.training.data).
Model selection: the last epoch (the depth metric alone would favour keeping every pixel);
val.csv records depth metrics with hard masks and the keep rate.
"""

from __future__ import annotations

from typing import Sequence

import torch

from arc.settings import setting
from arc.losses.sparsity import check_rho, kl_sparsity
from arc.training import checkpoint as ckpt
from arc.training.loop import Hook
from arc.losses.adversarial import GANLoss, discriminator_loss
from arc.models.gumbel import gumbel_sigmoid
from arc.training.optim import make_adam
from arc.training.recipe import batch_stat_roles, bn_passes, depth_pair, mask_fp32, mask_noise, stage_optim, syn_depth_valid_only
from arc.training.stages.attention import temperature_settings
from arc.training.runner import StagePlan, run_training
from arc.training.stages.common import (
    build_network,
    check_discriminator_fits,
    check_epochs,
    check_input_size,
    check_translator_pairing,
    check_weight,
    depth_l1,
    freeze,
    front_of,
    load_upstream,
    masked_validation,
    optimize,
    pipeline_roles,
    prepare_stage,
    scalars,
    section,
)

STAGE = "joint"


def run(
    params: dict,
    *,
    data_dir,
    seed: int,
    out_dir,
    depth,
    attention,
    translator=None,
    inpainter=None,
    rho: float | None = None,
    resume: bool = True,
    hooks: Sequence[Hook] = (),
) -> dict:
    cfg = section(params, "training", STAGE)
    epochs = check_epochs(cfg.get("epochs"), f"training.{STAGE}.epochs")
    lambda_kl = check_weight(cfg.get("lambda_kl"), f"training.{STAGE}.lambda_kl")
    lambda_adv = check_weight(setting(params, f"training.{STAGE}.lambda_adversarial"), f"training.{STAGE}.lambda_adversarial")
    noise, bn, fp32 = mask_noise(params), bn_passes(params), mask_fp32(params)
    syn_valid_only = syn_depth_valid_only(params)
    _, tau = temperature_settings(params)
    rho = check_rho(params.get("rho") if rho is None else rho, "rho" if rho is None else "--rho")
    if attention is None:
        load_upstream(None, "attention", stage=STAGE, flag="--attention", params=params)
    check_translator_pairing(attention, translator, stage=STAGE, flag="--attention")
    ctx = prepare_stage(STAGE, params, data_dir=data_dir, seed=seed, out_dir=out_dir, domains=("syn", "real"))
    check_input_size(params, ["depth", "translator"] if translator else ["depth"], ctx.data.height, ctx.data.width, ctx.data.data_dir)

    nets = {
        "depth": load_upstream(depth, "depth", stage=STAGE, flag="--depth", params=params),
        "attention": load_upstream(attention, "attention", stage=STAGE, flag="--attention", params=params),
    }
    if translator is not None:
        nets["translator"] = freeze(load_upstream(translator, "translator", stage=STAGE, flag="--translator", params=params))
    if inpainter is not None:
        nets["inpainter"] = freeze(load_upstream(inpainter, "inpainter", stage=STAGE, flag="--inpainter", params=params))
    optim = stage_optim(params, STAGE)
    # Two Adams with equal settings = one Adam over D and A (Adam is per parameter).
    optimizers = {role: make_adam(nets[role].parameters(), optim) for role in ("depth", "attention")}
    gan = GANLoss("bce")
    if lambda_adv > 0:
        nets["disc_attention"] = build_network(params, "disc_attention")
        check_discriminator_fits(nets["disc_attention"], "disc_attention", ctx.data.height, ctx.data.width,
                                 "lower models.patch_discriminator.num_layers or set training.joint.lambda_adversarial: 0")
        optimizers["disc_attention"] = make_adam(nets["disc_attention"].parameters(), optim, discriminator=True)
    for net in nets.values():
        net.to(ctx.device)
    front = front_of(attention=nets["attention"], translator=nets.get("translator"), inpainter=nets.get("inpainter"))
    carried = {r: rec for r, rec in ckpt.pipeline_records(attention, needed_for=f"stage {STAGE!r}").items() if r not in nets}

    def step(batch, state) -> dict[str, float]:
        real, syn = ctx.to_device(batch["real"]), ctx.to_device(batch["syn"])
        with ctx.runtime.autocast():
            x = real["rgb"]
            translated = nets["translator"](x) if "translator" in nets else x
            mask = gumbel_sigmoid(nets["attention"](x), tau, generator=ctx.generator, noise=noise, fp32=fp32)
            masked = mask * translated
            raw = nets["inpainter"](masked) if "inpainter" in nets else None
            x_tilde = masked if raw is None else (1 - mask) * raw + mask * translated
            pred_r, pred_s = depth_pair(nets["depth"], x_tilde, syn["rgb"], bn)
            losses = {
                "depth_real": depth_l1(pred_r, real, ctx.data.max_depth),
                "depth_syn": depth_l1(pred_s, syn, ctx.data.max_depth, syn_valid_only),
                "kl": kl_sparsity(mask.float(), rho),
            }
            total = losses["depth_real"] + losses["depth_syn"] + lambda_kl * losses["kl"]
            fake = masked if raw is None else raw
            if lambda_adv > 0:
                nets["disc_attention"].requires_grad_(False)
                losses["adversarial"] = gan(nets["disc_attention"](fake), True)
                total = total + lambda_adv * losses["adversarial"]
        optimize(total, optimizers["depth"], optimizers["attention"])
        if lambda_adv > 0:
            disc = nets["disc_attention"].requires_grad_(True)
            with ctx.runtime.autocast():
                losses["disc"] = discriminator_loss(gan, disc(syn["rgb"]), disc(fake.detach()))
            optimize(losses["disc"], optimizers["disc_attention"])
        return scalars({**losses, "total": total, "keep_rate": mask.mean()})

    plan = StagePlan(
        networks=nets,
        trainable=tuple(r for r in nets if r in ("depth", "attention", "disc_attention")),
        optimizers=optimizers,
        epochs=epochs,
        steps_per_epoch=lambda epoch: ctx.steps_per_epoch,
        batches=lambda epoch: ctx.batches(("syn", "real"), epoch),
        step_fn=lambda epoch: step,
        validate=lambda: masked_validation(ctx, front, nets["depth"]),
        metric=None,
        selection="last",
        saved_roles=pipeline_roles(nets),
        passengers=carried,
        meta={"rho": rho, "tau": tau, "translated": translator is not None,
              **({"inpainted": True} if inpainter is not None else {}), **({"mask_noise": noise} if noise != "logistic" else {})},
        inputs={k: v for k, v in (("depth", depth), ("attention", attention), ("translator", translator), ("inpainter", inpainter)) if v is not None},
        # training.frozen_bn: train (the authors): the fixed T and I run on batch statistics
        batch_stats=batch_stat_roles(params, tuple(r for r in ("translator", "inpainter") if r in nets)),
    )
    return run_training(ctx, plan, resume=resume, extra_hooks=hooks)
