"""Stage `translator`: T = G_r2s trained as a CycleGAN with its twin G_s2r (ARC Sec. 3.3).

Generators (one Adam, optim.lr):
    l_trans = l_adv(D_syn(G_r2s(x_r)) -> real) + l_adv(D_real(G_s2r(x_s)) -> real)
            + lambda_cycle * (|G_s2r(G_r2s(x_r)) - x_r|_1 + |G_r2s(G_s2r(x_s)) - x_s|_1)    (eq. 10)
            + lambda_identity * (|G_s2r(x_r) - x_r|_1 + |G_r2s(x_s) - x_s|_1)              (eq. 11)
Discriminators (PatchGAN, BCE, one Adam with optim.lr_discriminator):
    0.5 * (bce(D_syn(x_s), 1) + bce(D_syn(G_r2s(x_r)), 0)) + the same for D_real.
(No image history pool: the update is on the current batch's fakes.)
An epoch is one pass over the larger training set, the other cycled (arc.training.data).
Model selection: the last epoch (a GAN objective gives no depth metric to select on);
val.csv records the cycle error on real_val as a diagnostic. checkpoint.pt holds T (role
``translator``) and, for the peer stages that start from a pretrained CycleGAN, its s2r twin and
both discriminators.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import torch
import torch.nn.functional as F

from arc.losses.adversarial import GANLoss, discriminator_loss
from arc.training.data import validation_batches
from arc.training.loop import Hook
from arc.training.optim import make_adam
from arc.training.recipe import stage_optim
from arc.training.runner import StagePlan, run_training
from arc.training.stages.common import (
    build_network,
    check_epochs,
    check_input_size,
    check_discriminator_fits,
    check_weight,
    feed_hooks,
    optimize,
    prepare_stage,
    scalars,
    section,
)

STAGE = "translator"


def cyclegan_generator_losses(nets, gan: GANLoss, x_r: torch.Tensor, x_s: torch.Tensor):
    """The translated images {"syn": G_r2s(x_r), "real": G_s2r(x_s)} and the unweighted generator
    terms of eq. 10-11; ``nets`` holds roles translator (G_r2s), translator_s2r, disc_syn, disc_real."""
    r2s, s2r = nets["translator"], nets["translator_s2r"]
    fake_s, fake_r = r2s(x_r), s2r(x_s)
    losses = {
        "gan_r2s": gan(nets["disc_syn"](fake_s), True),
        "gan_s2r": gan(nets["disc_real"](fake_r), True),
        "cycle": F.l1_loss(s2r(fake_s), x_r) + F.l1_loss(r2s(fake_r), x_s),
        "identity": F.l1_loss(s2r(x_r), x_r) + F.l1_loss(r2s(x_s), x_s),
    }
    return {"syn": fake_s, "real": fake_r}, losses


def cyclegan_discriminator_losses(nets, gan: GANLoss, x_r: torch.Tensor, x_s: torch.Tensor, fakes) -> dict:
    """D_syn: x_s vs G_r2s(x_r); D_real: x_r vs G_s2r(x_s) (fakes detached)."""
    return {
        "disc_syn": discriminator_loss(gan, nets["disc_syn"](x_s), nets["disc_syn"](fakes["syn"].detach())),
        "disc_real": discriminator_loss(gan, nets["disc_real"](x_r), nets["disc_real"](fakes["real"].detach())),
    }


def run(params: dict, *, data_dir, seed: int, out_dir, resume: bool = True, hooks: Sequence[Hook] = ()) -> dict:
    cfg = section(params, "training", STAGE)
    epochs = check_epochs(cfg.get("epochs"), f"training.{STAGE}.epochs")
    lambda_cycle = check_weight(cfg.get("lambda_cycle"), f"training.{STAGE}.lambda_cycle")
    lambda_identity = check_weight(cfg.get("lambda_identity"), f"training.{STAGE}.lambda_identity")
    ctx = prepare_stage(STAGE, params, data_dir=data_dir, seed=seed, out_dir=out_dir, domains=("syn", "real"))
    check_input_size(params, ["translator"], ctx.data.height, ctx.data.width, ctx.data.data_dir)

    nets = {role: build_network(params, role) for role in ("translator", "translator_s2r", "disc_syn", "disc_real")}
    r2s, s2r, disc_syn, disc_real = (nets[r] for r in ("translator", "translator_s2r", "disc_syn", "disc_real"))
    check_discriminator_fits(disc_syn.cpu(), "disc_syn", ctx.data.height, ctx.data.width, "lower models.patch_discriminator.num_layers")
    for net in nets.values():
        net.to(ctx.device)
    opt_gen = make_adam(itertools.chain(r2s.parameters(), s2r.parameters()), stage_optim(params, STAGE))
    opt_disc = make_adam(itertools.chain(disc_syn.parameters(), disc_real.parameters()), stage_optim(params, STAGE), discriminator=True)
    gan = GANLoss("bce")

    def step(batch, state) -> dict[str, float]:
        x_r = ctx.to_device(batch["real"])["rgb"]
        x_s = ctx.to_device(batch["syn"])["rgb"]
        for disc in (disc_syn, disc_real):
            disc.requires_grad_(False)  # the generator step must not touch the discriminators
        with ctx.runtime.autocast():
            fakes, losses = cyclegan_generator_losses(nets, gan, x_r, x_s)
            gen_total = losses["gan_r2s"] + losses["gan_s2r"] + lambda_cycle * losses["cycle"] + lambda_identity * losses["identity"]
        optimize(gen_total, opt_gen)
        for disc in (disc_syn, disc_real):
            disc.requires_grad_(True)
        with ctx.runtime.autocast():
            losses.update(cyclegan_discriminator_losses(nets, gan, x_r, x_s, fakes))
        optimize(losses["disc_syn"] + losses["disc_real"], opt_disc)
        return scalars({**losses, "total": gen_total})

    @torch.no_grad()
    def validate() -> dict[str, float]:
        cycle = change = 0.0
        count = 0
        for batch in validation_batches(ctx.data["val"], ctx.batch_size, ctx.runtime.num_workers):
            x = batch["rgb"].to(ctx.device)
            translated = r2s(x)
            n = x.shape[0]
            cycle += float(F.l1_loss(s2r(translated).float(), x)) * n
            change += float(F.l1_loss(translated.float(), x)) * n
            count += n
        return {"cycle_l1": cycle / count, "change_l1": change / count}

    plan = StagePlan(
        networks=nets,
        trainable=tuple(nets),
        optimizers={"generators": opt_gen, "discriminators": opt_disc},
        epochs=epochs,
        steps_per_epoch=lambda epoch: ctx.steps_per_epoch,
        batches=lambda epoch: ctx.batches(("syn", "real"), epoch),
        step_fn=lambda epoch: step,
        validate=validate,
        metric=None,
        selection="last",
        # The whole CycleGAN: T is the pipeline module; CrDoCo and GASDA start from all four networks.
        saved_roles=("translator", "translator_s2r", "disc_syn", "disc_real"),
    )
    return run_training(ctx, plan, resume=resume, extra_hooks=[*feed_hooks(ctx, plan), *hooks])
