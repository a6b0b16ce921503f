"""Stage `attention`: pretrain A with D (and T) fixed (ARC Sec. 3.1, 3.5).

    l_A = ||D(M * T(x_r)) - y_r||_1 + lambda_kl * KL(rho || mean(M))     [+ lambda_adversarial * l_adv]
M = Gumbel-sigmoid(A(x_r), tau) with tau decaying linearly tau_start -> tau_end over the stage's
steps (A sees the raw image, M applies to T(x)); no inpainter yet, so removed pixels are 0.
With lambda_adversarial > 0 a PatchGAN (BCE, optim.lr_discriminator) judges M * T(x_r) against
synthetic images and A also learns to fool it (the authors' code trains A inside a CycleGAN).
An epoch is one pass over the larger training set (arc.training.data), real batches cycled;
synthetic batches are drawn only for the adversarial term.
Model selection: the last epoch, whose masks were trained at the final (near-binary)
temperature; val.csv records depth metrics with hard masks and the keep rate.

Documented options (training.attention; defaults = the paper):
  depth_row   which pretrained D A is trained against (the workflow passes that row's D);
              the paper says the D pretraining source "does not matter" (Sec. 3.5)
  test_mask   threshold (logit >= 0) | rho_quantile (each image keeps its rho highest logits;
              recorded in A's weights, see AttentionNet.test_keep_fraction)
  kl          batch (eq. 2 on the batch keep rate) | image (eq. 2 averaged over images)
  noise_cell  1 = per-pixel Gumbel noise | n > 1 = one sample per n x n cell (region removals)
  mask_noise  logistic (binary Concrete) | gumbel (eq. 1, the authors' code; arc.models.gumbel)
  objective   depth (above, default) | cyclegan: the authors' stage 3, A inside a fresh CycleGAN
              with no depth loss (arc.training.stages.attention_cyclegan); D and T then serve
              only the validation diagnostics
  rho         the KL target of this stage (the authors: 0.99 here, 0.85 in the joint stage);
              default: the row's rho. The test mask's rho_quantile and the folder use the row's rho.
"""

from __future__ import annotations

from typing import Sequence

from arc.errors import ConfigError
from arc.settings import setting
from arc.losses.adversarial import GANLoss, discriminator_loss
from arc.losses.sparsity import check_rho, kl_sparsity
from arc.models.gumbel import gumbel_sigmoid, linear_temperature
from arc.models.pipeline import ARCPipeline
from arc.training.loop import Hook
from arc.training.optim import make_adam
from arc.training.recipe import mask_fp32, mask_noise, stage_optim
from arc.training.runner import StagePlan, run_training
from arc.training.stages import attention_cyclegan
from arc.training.stages.common import (
    build_network,
    check_epochs,
    check_input_size,
    check_discriminator_fits,
    check_weight,
    depth_l1,
    feed_hooks,
    freeze,
    front_of,
    load_upstream,
    mask_validation,
    masked_validation,
    optimize,
    pipeline_roles,
    prepare_stage,
    scalars,
    section,
)

STAGE = "attention"


def temperature_settings(params: dict) -> tuple[float, float]:
    cfg = section(params, "training", STAGE)
    start, end = cfg.get("tau_start"), cfg.get("tau_end")
    for key, value in (("tau_start", start), ("tau_end", end)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ConfigError(f"training.{STAGE}.{key} = {value!r}: expected a number > 0")
    if end > start:
        raise ConfigError(f"training.{STAGE}.tau_end = {end} must be <= tau_start = {start} (the temperature decays)")
    return float(start), float(end)


def mask_settings(params: dict) -> tuple[str, bool, int]:
    """(test_mask, per-image KL?, noise_cell) from training.attention, paper defaults when absent."""
    cfg = section(params, "training", STAGE)
    test_mask = setting(params, f"training.{STAGE}.test_mask")
    if test_mask not in ("threshold", "rho_quantile"):
        raise ConfigError(f"training.{STAGE}.test_mask = {test_mask!r}: expected threshold | rho_quantile")
    kl = setting(params, f"training.{STAGE}.kl")
    if kl not in ("batch", "image"):
        raise ConfigError(f"training.{STAGE}.kl = {kl!r}: expected batch | image")
    cell = setting(params, f"training.{STAGE}.noise_cell")
    if isinstance(cell, bool) or not isinstance(cell, int) or cell < 1:
        raise ConfigError(f"training.{STAGE}.noise_cell = {cell!r}: expected an integer >= 1")
    return test_mask, kl == "image", cell


def run(
    params: dict,
    *,
    data_dir,
    seed: int,
    out_dir,
    depth=None,
    translator=None,
    rho: float | None = None,
    resume: bool = True,
    hooks: Sequence[Hook] = (),
    step_probe=None,
) -> dict:
    """``step_probe`` (diagnostics, e.g. arc.diagnostics.stage3_probe; objective cyclegan): called every
    step with ctx, nets, logits (A's, with their graph), mask, x_r, x_s, fakes and the loss terms, after
    the terms and before the total; it may replace a term in ``losses`` (a counterfactual)."""
    cfg = section(params, "training", STAGE)
    epochs = check_epochs(cfg.get("epochs"), f"training.{STAGE}.epochs")
    tau_start, tau_end = temperature_settings(params)
    lambda_kl = check_weight(cfg.get("lambda_kl"), f"training.{STAGE}.lambda_kl")
    lambda_adv = check_weight(cfg.get("lambda_adversarial"), f"training.{STAGE}.lambda_adversarial")
    rho = check_rho(params.get("rho") if rho is None else rho, "rho" if rho is None else "--rho")
    test_mask, per_image_kl, noise_cell = mask_settings(params)
    noise, fp32 = mask_noise(params), mask_fp32(params)
    objective = setting(params, f"training.{STAGE}.objective")
    if objective not in ("depth", "cyclegan"):
        raise ConfigError(f"training.{STAGE}.objective = {objective!r}: expected depth | cyclegan")
    kl_rho = check_rho(cfg["rho"], f"training.{STAGE}.rho") if "rho" in cfg else rho
    if objective == "cyclegan":
        translator_cfg = section(params, "training", "translator")
        lambda_cycle = check_weight(translator_cfg.get("lambda_cycle"), "training.translator.lambda_cycle")
        lambda_identity = check_weight(translator_cfg.get("lambda_identity"), "training.translator.lambda_identity")
        if lambda_adv > 0:
            raise ConfigError(f"training.{STAGE}.lambda_adversarial = {lambda_adv}: the cyclegan objective has its own GAN terms; set it to 0")
    ctx = prepare_stage(STAGE, params, data_dir=data_dir, seed=seed, out_dir=out_dir, domains=("real", "syn"))
    # The cyclegan objective has no depth loss: D (and T) only feed the validation diagnostics,
    # and the workflow passes neither (arc.training.rows.attention_reads), so stage 3 runs once per seed.
    with_depth = objective != "cyclegan" or depth is not None
    check_input_size(params, [r for r in ("depth", "translator") if (r == "depth" and with_depth) or (r == "translator" and translator)],
                     ctx.data.height, ctx.data.width, ctx.data.data_dir)

    nets = {"depth": freeze(load_upstream(depth, "depth", stage=STAGE, flag="--depth", params=params))} if with_depth else {}
    if translator is not None:
        nets["translator"] = freeze(load_upstream(translator, "translator", stage=STAGE, flag="--translator", params=params))
    nets["attention"] = build_network(params, "attention")
    nets["attention"].set_test_keep_fraction(rho if test_mask == "rho_quantile" else None)
    optimizers = {"attention": make_adam(nets["attention"].parameters(), stage_optim(params, STAGE))}
    gan = GANLoss("bce")
    if lambda_adv > 0:
        nets["disc_attention"] = build_network(params, "disc_attention")
        check_discriminator_fits(
            nets["disc_attention"], "disc_attention", ctx.data.height, ctx.data.width,
            "lower models.patch_discriminator.num_layers or set training.attention.lambda_adversarial: 0",
        )
        optimizers["disc_attention"] = make_adam(nets["disc_attention"].parameters(), stage_optim(params, STAGE), discriminator=True)
    if objective == "cyclegan":
        nets.update(attention_cyclegan.build(params))
        check_discriminator_fits(nets["cyclegan_disc_syn"], "disc_syn", ctx.data.height, ctx.data.width,
                                 "lower models.patch_discriminator.num_layers")
        gens = [p for name in attention_cyclegan.GENERATORS for p in nets[name].parameters()]
        # one Adam for the generators and A, as the authors' netG_optimizer (Adam is per parameter)
        optimizers["cyclegan_generators"] = make_adam(gens, stage_optim(params, STAGE))
        discs = [p for name in attention_cyclegan.DISCRIMINATORS for p in nets[name].parameters()]
        optimizers["cyclegan_discriminators"] = make_adam(discs, stage_optim(params, STAGE), discriminator=True)
    for net in nets.values():
        net.to(ctx.device)
    pipeline = ARCPipeline(nets["depth"], attention=nets["attention"], translator=nets.get("translator")) if with_depth else None
    front = front_of(attention=nets["attention"], translator=nets.get("translator"))
    domains = ("real", "syn") if lambda_adv > 0 or objective == "cyclegan" else ("real",)
    total_steps = epochs * ctx.steps_per_epoch

    def step(batch, state) -> dict[str, float]:
        real = ctx.to_device(batch["real"])
        tau = linear_temperature(state.step, total_steps, tau_start, tau_end)
        with ctx.runtime.autocast():
            out = pipeline(real["rgb"], tau=tau, hard=False, generator=ctx.generator, noise_cell=noise_cell, noise=noise, mask_fp32=fp32)
            losses = {
                "depth_real": depth_l1(out["depth_unit"], real, ctx.data.max_depth),
                "kl": kl_sparsity(out["mask"].float(), kl_rho, per_image=per_image_kl),
            }
            total = losses["depth_real"] + lambda_kl * losses["kl"]
            if lambda_adv > 0:
                nets["disc_attention"].requires_grad_(False)
                losses["adversarial"] = gan(nets["disc_attention"](out["masked"]), True)
                total = total + lambda_adv * losses["adversarial"]
        optimize(total, optimizers["attention"])
        if lambda_adv > 0:
            disc = nets["disc_attention"].requires_grad_(True)
            syn = ctx.to_device(batch["syn"])["rgb"]
            with ctx.runtime.autocast():
                losses["disc"] = discriminator_loss(gan, disc(syn), disc(out["masked"].detach()))
            optimize(losses["disc"], optimizers["disc_attention"])
        return scalars({**losses, "total": total, "keep_rate": out["mask"].mean(), "tau": tau})

    def step_cyclegan(batch, state) -> dict[str, float]:
        x_r = ctx.to_device(batch["real"])["rgb"]
        x_s = ctx.to_device(batch["syn"])["rgb"]
        tau = linear_temperature(state.step, total_steps, tau_start, tau_end)
        for name in attention_cyclegan.DISCRIMINATORS:
            nets[name].requires_grad_(False)
        with ctx.runtime.autocast():
            logits = nets["attention"](x_r)
            mask = gumbel_sigmoid(logits, tau, generator=ctx.generator, noise_cell=noise_cell, noise=noise, fp32=fp32)
            fakes, losses = attention_cyclegan.generator_losses(nets, gan, mask, x_r, x_s)
            losses["kl"] = kl_sparsity(mask.float(), kl_rho, per_image=per_image_kl)
            if step_probe is not None:
                step_probe(ctx=ctx, nets=nets, logits=logits, mask=mask, x_r=x_r, x_s=x_s, fakes=fakes, losses=losses)
            total = (losses["gan_r2s"] + losses["gan_s2r"] + lambda_cycle * losses["cycle"]
                     + lambda_identity * losses["identity"] + lambda_kl * losses["kl"])
        optimize(total, optimizers["attention"], optimizers["cyclegan_generators"])
        for name in attention_cyclegan.DISCRIMINATORS:
            nets[name].requires_grad_(True)
        with ctx.runtime.autocast():
            losses["disc"] = attention_cyclegan.discriminator_losses(nets, gan, x_r, x_s, fakes)
        optimize(losses["disc"], optimizers["cyclegan_discriminators"])
        return scalars({**losses, "total": total, "keep_rate": mask.mean(), "tau": tau})

    plan = StagePlan(
        networks=nets,
        trainable=tuple(r for r in nets if r in ("attention", "disc_attention", *attention_cyclegan.ROLES)),
        optimizers=optimizers,
        epochs=epochs,
        steps_per_epoch=lambda epoch: ctx.steps_per_epoch,
        batches=lambda epoch: ctx.batches(domains, epoch),
        step_fn=lambda epoch: step_cyclegan if objective == "cyclegan" else step,
        validate=lambda: masked_validation(ctx, front, nets["depth"]) if with_depth else mask_validation(ctx, front),
        metric=None,
        selection="last",
        saved_roles=pipeline_roles(nets),
        meta={"rho": rho, "tau_end": tau_end, "translated": translator is not None, "test_mask": test_mask,
              "kl": "image" if per_image_kl else "batch", "noise_cell": noise_cell,
              **({"mask_noise": noise} if noise != "logistic" else {}),
              **({"objective": objective} if objective != "depth" else {}), **({"kl_rho": kl_rho} if kl_rho != rho else {})},
        inputs={k: v for k, v in (("depth", depth), ("translator", translator)) if v is not None},
    )
    return run_training(ctx, plan, resume=resume, extra_hooks=[*feed_hooks(ctx, plan), *hooks])

