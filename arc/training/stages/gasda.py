"""Stage `gasda`: GASDA (Zhao et al., CVPR 2019) in the ARC setting: the translator stage's
CycleGAN (G_r2s = T, G_s2r, D_syn, D_real) fine-tuned jointly with two depth nets.

    D_real (role ``depth``, real-style inputs):   G_s2r(x_s) and x_r
    D_syn  (role ``depth_syn``, syn-style inputs): x_s and G_r2s(x_r)
Phase 1, ``pretrain_epochs`` epochs: the CycleGAN is frozen (eval mode) and each depth net is
pretrained on its inputs (GASDA's F_s / F_t stage) with the depth and smoothness terms.
Phase 2, ``epochs`` epochs, everything trains (optim.lr; discriminators optim.lr_discriminator):
    lambda_gan * CycleGAN GAN terms (LSGAN) + lambda_cycle * cycle + lambda_identity * identity
  + lambda_depth_syn   * (|D_real(G_s2r(x_s)) - y_s|_1 + |D_syn(x_s) - y_s|_1)
  + lambda_depth_real  * (|D_real(x_r) - y_r|_1 + |D_syn(G_r2s(x_r)) - y_r|_1)
        the ARC setting's real labels, in place of GASDA's stereo photometric term
  + lambda_smooth      * edge-aware smoothness of D_real(x_r) and of D_syn(G_r2s(x_r)) (guided by x_r)
  + lambda_consistency * mean |D_real(x_r) - D_syn(G_r2s(x_r))|   (phase 2 only, as in GASDA)
The stereo term needs right images; ``stereo: true`` is refused unless the cache has them (no
benchmark here does: NYU has no stereo pairs and the KITTI cache keeps one camera image per sample).
Test time (and model selection on real_val): 0.5 * (D_real(x) + D_syn(G_r2s(x))); the checkpoint
names both branches in meta["branches"] (arc.training.checkpoint.load_pipeline averages them).
"""

from __future__ import annotations

import itertools
from typing import Sequence

import torch

from arc.errors import ConfigError
from arc.settings import setting
from arc.losses.adversarial import GANLoss
from arc.losses.peers import consistency_l1, edge_aware_smoothness
from arc.training.loop import Hook
from arc.training.optim import make_adam
from arc.training.runner import run_training
from arc.training.stages.common import (
    CYCLEGAN_ROLES,
    build_network,
    check_epochs,
    check_input_size,
    depth_l1,
    load_cyclegan,
    loss_weights,
    optimize,
    peer_plan,
    prepare_stage,
    scalars,
    section,
)
from arc.training.stages.translator import cyclegan_discriminator_losses, cyclegan_generator_losses

STAGE = "gasda"
WEIGHTS = ("lambda_gan", "lambda_cycle", "lambda_identity", "lambda_depth_syn", "lambda_depth_real", "lambda_smooth", "lambda_consistency")
BRANCHES = [{"depth": "depth"}, {"depth": "depth_syn", "translator": "translator"}]
STEREO_ARRAY = "rgb_right"  # the cache array a stereo term would read


class _FrozenCycleGANHook(Hook):
    """Keeps the CycleGAN in eval mode during the pretraining epochs (runs after the mode hook)."""

    name = "gasda_frozen_cyclegan"

    def __init__(self, networks, pretrain_epochs: int):
        self.networks, self.pretrain_epochs = networks, pretrain_epochs

    def before_epoch(self, trainer) -> None:
        if trainer.state.epoch < self.pretrain_epochs:
            for role in CYCLEGAN_ROLES:
                self.networks[role].eval()


def check_stereo(cfg: dict, data) -> None:
    if not setting({"training": {"gasda": cfg}}, "training.gasda.stereo"):
        return
    arrays = data.manifests["real"].get("arrays", {})
    if STEREO_ARRAY not in arrays:
        raise ConfigError(
            f"training.{STAGE}.stereo is true, but the real training split of {data.data_dir} has no "
            f"{STEREO_ARRAY!r} array (stereo right images); set it to false (the supervised real term replaces it)"
        )
    raise ConfigError(f"training.{STAGE}.stereo: the stereo photometric term is not implemented in this reproduction; set it to false")


def run(params: dict, *, data_dir, seed: int, out_dir, translator=None, resume: bool = True, hooks: Sequence[Hook] = ()) -> dict:
    cfg = section(params, "training", STAGE)
    epochs = check_epochs(cfg.get("epochs"), f"training.{STAGE}.epochs")
    pretrain_epochs = cfg.get("pretrain_epochs")
    if isinstance(pretrain_epochs, bool) or not isinstance(pretrain_epochs, int) or pretrain_epochs < 0:
        raise ConfigError(f"training.{STAGE}.pretrain_epochs = {pretrain_epochs!r}: expected an integer >= 0")
    w = loss_weights(params, STAGE, WEIGHTS)
    ctx = prepare_stage(STAGE, params, data_dir=data_dir, seed=seed, out_dir=out_dir, domains=("syn", "real"))
    check_stereo(cfg, ctx.data)
    check_input_size(params, ["depth", "translator"], ctx.data.height, ctx.data.width, ctx.data.data_dir)
    max_depth = ctx.data.max_depth

    nets = {**load_cyclegan(translator, params, stage=STAGE), "depth": build_network(params, "depth"), "depth_syn": build_network(params, "depth")}
    for net in nets.values():
        net.to(ctx.device)
    r2s, s2r, d_real, d_syn = (nets[r] for r in ("translator", "translator_s2r", "depth", "depth_syn"))
    discs = (nets["disc_syn"], nets["disc_real"])
    opt_depth = make_adam(itertools.chain(d_real.parameters(), d_syn.parameters()), params["optim"])
    opt_trans = make_adam(itertools.chain(r2s.parameters(), s2r.parameters()), params["optim"])
    opt_disc = make_adam(itertools.chain(*(d.parameters() for d in discs)), params["optim"], discriminator=True)
    gan = GANLoss("lsgan")

    def depth_terms(syn, real, real_style_syn, syn_style_real) -> dict[str, torch.Tensor]:
        n = real_style_syn.shape[0]
        pred_r = d_real(torch.cat([real_style_syn, real["rgb"]]))  # D_real(G_s2r(x_s)), D_real(x_r)
        pred_s = d_syn(torch.cat([syn["rgb"], syn_style_real]))  # D_syn(x_s), D_syn(G_r2s(x_r))
        r_syn, r_real, s_syn, s_real = pred_r[:n], pred_r[n:], pred_s[:n], pred_s[n:]
        x_r = real["rgb"]
        return {
            "depth_syn": depth_l1(r_syn, syn, max_depth) + depth_l1(s_syn, syn, max_depth),
            "depth_real": depth_l1(r_real, real, max_depth) + depth_l1(s_real, real, max_depth),
            "smooth": edge_aware_smoothness(r_real, x_r) + edge_aware_smoothness(s_real, x_r),
            "consistency": consistency_l1(r_real, s_real),
        }

    def pretrain_step(batch, state) -> dict[str, float]:
        syn, real = ctx.to_device(batch["syn"]), ctx.to_device(batch["real"])
        with torch.no_grad(), ctx.runtime.autocast():
            real_style_syn, syn_style_real = s2r(syn["rgb"]), r2s(real["rgb"])
        with ctx.runtime.autocast():
            losses = depth_terms(syn, real, real_style_syn, syn_style_real)
            losses.pop("consistency")
            total = sum(w[f"lambda_{k}"] * v for k, v in losses.items())
        optimize(total, opt_depth)
        return scalars({**losses, "total": total})

    def joint_step(batch, state) -> dict[str, float]:
        syn, real = ctx.to_device(batch["syn"]), ctx.to_device(batch["real"])
        x_s, x_r = syn["rgb"], real["rgb"]
        for disc in discs:
            disc.requires_grad_(False)
        with ctx.runtime.autocast():
            fakes, gen = cyclegan_generator_losses(nets, gan, x_r, x_s)
            losses = depth_terms(syn, real, fakes["real"], fakes["syn"])
            losses["gan"] = gen["gan_r2s"] + gen["gan_s2r"]
            losses["cycle"], losses["identity"] = gen["cycle"], gen["identity"]
            total = sum(w[f"lambda_{k}"] * v for k, v in losses.items())
        optimize(total, opt_depth, opt_trans)
        for disc in discs:
            disc.requires_grad_(True)
        with ctx.runtime.autocast():
            losses.update(cyclegan_discriminator_losses(nets, gan, x_r, x_s, fakes))
        optimize(losses["disc_syn"] + losses["disc_real"], opt_disc)
        return scalars({**losses, "total": total})

    def predict(x: torch.Tensor) -> torch.Tensor:
        return 0.5 * (d_real(x) + d_syn(r2s(x)))

    plan = peer_plan(
        ctx,
        epochs=pretrain_epochs + epochs,
        step_fn=lambda epoch: pretrain_step if epoch < pretrain_epochs else joint_step,
        predict=predict,
        networks=nets,
        trainable=tuple(nets),
        optimizers={"depth": opt_depth, "translators": opt_trans, "discriminators": opt_disc},
        saved_roles=("depth", "depth_syn", "translator"),
        meta={"peer": STAGE, "branches": BRANCHES, "pretrain_epochs": pretrain_epochs},
        inputs={"translator": translator},
    )
    return run_training(ctx, plan, resume=resume, extra_hooks=[_FrozenCycleGANHook(nets, pretrain_epochs), *hooks])
