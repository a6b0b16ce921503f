"""Stage `crdoco`: CrDoCo (Chen et al., CVPR 2019) for depth in the ARC setting: two depth nets
over the translator stage's pretrained, frozen CycleGAN (G_r2s = T, G_s2r its twin).

    F_T (role ``depth``, real-style inputs):     G_s2r(x_s) and x_r
    F_S (role ``depth_syn``, syn-style inputs):  x_s and G_r2s(x_r)
Depth step (one backward; optim.lr):
    lambda_depth_syn   * (|F_S(x_s) - y_s|_1 + |F_T(G_s2r(x_s)) - y_s|_1)
  + lambda_depth_real  * (|F_T(x_r) - y_r|_1 + |F_S(G_r2s(x_r)) - y_r|_1)   the ARC setting's real labels
  + lambda_consistency * mean |F_T(x_r) - F_S(G_r2s(x_r))|                    cross-domain consistency
  + lambda_adversarial * (bce(D_T(F_T(G_s2r(x_s))) -> real) + bce(D_S(F_S(G_r2s(x_r))) -> real))
Output-space discriminators (PatchGANs on the 1-channel depth maps, BCE, optim.lr_discriminator):
D_T tells F_T(x_r) (real) from F_T(G_s2r(x_s)); D_S tells F_S(x_s) (real) from F_S(G_r2s(x_r)).
Each net runs once on its two inputs concatenated, so BatchNorm sees both.
Test time (and model selection on real_val): F_T(x_r); the checkpoint holds F_T as ``depth``.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import torch

from arc.losses.adversarial import GANLoss, discriminator_loss
from arc.losses.peers import consistency_l1
from arc.training.loop import Hook
from arc.training.optim import make_adam
from arc.training.runner import run_training
from arc.training.stages.common import (
    build_network,
    build_output_discriminator,
    check_epochs,
    check_input_size,
    depth_l1,
    freeze,
    load_cyclegan,
    loss_weights,
    optimize,
    peer_plan,
    prepare_stage,
    scalars,
    section,
)

STAGE = "crdoco"
WEIGHTS = ("lambda_depth_syn", "lambda_depth_real", "lambda_consistency", "lambda_adversarial")


def run(params: dict, *, data_dir, seed: int, out_dir, translator=None, resume: bool = True, hooks: Sequence[Hook] = ()) -> dict:
    epochs = check_epochs(section(params, "training", STAGE).get("epochs"), f"training.{STAGE}.epochs")
    w = loss_weights(params, STAGE, WEIGHTS)
    ctx = prepare_stage(STAGE, params, data_dir=data_dir, seed=seed, out_dir=out_dir, domains=("syn", "real"))
    check_input_size(params, ["depth"], ctx.data.height, ctx.data.width, ctx.data.data_dir)
    max_depth = ctx.data.max_depth
    cyclegan = load_cyclegan(translator, params, stage=STAGE)
    r2s, s2r = freeze(cyclegan["translator"]).to(ctx.device), freeze(cyclegan["translator_s2r"]).to(ctx.device)

    nets = {
        "depth": build_network(params, "depth"),
        "depth_syn": build_network(params, "depth"),
        "disc_depth": build_output_discriminator(params),
        "disc_depth_syn": build_output_discriminator(params),
    }
    for net in nets.values():
        net.to(ctx.device)
    f_t, f_s, d_t, d_s = (nets[r] for r in ("depth", "depth_syn", "disc_depth", "disc_depth_syn"))
    opt_depth = make_adam(itertools.chain(f_t.parameters(), f_s.parameters()), params["optim"])
    opt_disc = make_adam(itertools.chain(d_t.parameters(), d_s.parameters()), params["optim"], discriminator=True)
    gan = GANLoss("bce")

    def step(batch, state) -> dict[str, float]:
        syn, real = ctx.to_device(batch["syn"]), ctx.to_device(batch["real"])
        x_s, x_r = syn["rgb"], real["rgb"]
        n = x_s.shape[0]
        with torch.no_grad(), ctx.runtime.autocast():
            real_style_syn, syn_style_real = s2r(x_s), r2s(x_r)
        for disc in (d_t, d_s):
            disc.requires_grad_(False)
        with ctx.runtime.autocast():
            pred_t = f_t(torch.cat([real_style_syn, x_r]))  # F_T(G_s2r(x_s)), F_T(x_r)
            pred_s = f_s(torch.cat([x_s, syn_style_real]))  # F_S(x_s), F_S(G_r2s(x_r))
            t_syn, t_real, s_syn, s_real = pred_t[:n], pred_t[n:], pred_s[:n], pred_s[n:]
            losses = {
                "depth_syn": depth_l1(s_syn, syn, max_depth) + depth_l1(t_syn, syn, max_depth),
                "depth_real": depth_l1(t_real, real, max_depth) + depth_l1(s_real, real, max_depth),
                "consistency": consistency_l1(t_real, s_real),
                "adversarial": gan(d_t(t_syn), True) + gan(d_s(s_real), True),
            }
            total = sum(w[f"lambda_{k}"] * v for k, v in losses.items())
        optimize(total, opt_depth)
        for disc in (d_t, d_s):
            disc.requires_grad_(True)
        with ctx.runtime.autocast():
            losses["disc_depth"] = discriminator_loss(gan, d_t(t_real.detach()), d_t(t_syn.detach()))
            losses["disc_depth_syn"] = discriminator_loss(gan, d_s(s_syn.detach()), d_s(s_real.detach()))
        optimize(losses["disc_depth"] + losses["disc_depth_syn"], opt_disc)
        return scalars({**losses, "total": total})

    plan = peer_plan(
        ctx,
        epochs=epochs,
        step_fn=lambda epoch: step,
        predict=f_t,
        networks={**nets, "translator": r2s, "translator_s2r": s2r},
        trainable=tuple(nets),
        optimizers={"depth": opt_depth, "discriminators": opt_disc},
        saved_roles=("depth",),
        meta={"peer": STAGE, "predict": "F_T(x_r)"},
        inputs={"translator": translator},
    )
    return run_training(ctx, plan, resume=resume, extra_hooks=hooks)
