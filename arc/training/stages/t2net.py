"""Stage `t2net`: T2Net (Zheng et al., ECCV 2018) in the ARC setting, one syn->real translator G
trained end to end with the depth net D (no cycle, no pretrained CycleGAN).

Generator + depth step (one backward; optim.lr for G and D):
    lambda_gan_img     * lsgan(D_img(G(x_s)) -> real)          image GAN on translated synthetic images
  + lambda_rec_img     * |G(x_r) - x_r|_1                      identity / reconstruction on real
  + lambda_depth_syn   * |D(G(x_s)) - y_s|_1                   task loss (trains G and D)
  + lambda_gan_feature * lsgan(D_feat(bottleneck(D(G(x_s)))) -> real)
  + lambda_smooth      * edge-aware smoothness of D(x_r)
  + lambda_depth_real  * |D(x_r) - y_r|_1                      the ARC setting's real labels (not in T2Net)
Discriminators (LSGAN, optim.lr_discriminator), updated every ``disc_every``-th step as in the
published code: D_img sees x_r vs G(x_s); D_feat (an MLP on D's bottleneck) sees the bottleneck of
D(x_r) vs that of D(G(x_s)); D_feat's weights are clipped to [-feature_clip, feature_clip] after
each update. D runs on the concatenated batch [G(x_s), x_r] so BatchNorm sees both domains.
Test time: D(x_r) (the translator is for synthetic images only). Deviations from the published
code (one output scale, ResnetGenerator for G, a PatchGAN with InstanceNorm, no image pool,
one lr) are listed in docs/peers.md.
Model selection: best ``training.validation.metric`` on real_val.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import torch
import torch.nn.functional as F

from arc.losses.adversarial import GANLoss, discriminator_loss
from arc.losses.peers import clip_weights_, edge_aware_smoothness
from arc.models.registry import build_model
from arc.training.loop import Hook
from arc.training.optim import make_adam
from arc.training.runner import run_training
from arc.training.stages.common import (
    build_network,
    check_discriminator_fits,
    check_epochs,
    check_input_size,
    check_weight,
    downsampling_factor,
    depth_l1,
    loss_weights,
    optimize,
    peer_plan,
    prepare_stage,
    scalars,
    section,
)

STAGE = "t2net"
WEIGHTS = ("lambda_gan_img", "lambda_rec_img", "lambda_depth_syn", "lambda_depth_real", "lambda_gan_feature", "lambda_smooth")


class BottleneckTap:
    """Keeps the latest output of D's bottleneck (the feature GAN's input) via a forward hook."""

    def __init__(self, depth: torch.nn.Module):
        self.features: torch.Tensor | None = None
        depth.bottleneck.register_forward_hook(self._keep)

    def _keep(self, module, inputs, output) -> None:
        self.features = output


def bottleneck_shape(params: dict, height: int, width: int) -> tuple[int, int, int]:
    """(channels, h, w) of DepthUNet's bottleneck for an input of height x width."""
    cfg = section(params, "models", "depth")
    n = downsampling_factor(params, "depth").bit_length() - 1
    return int(cfg["base_width"]) * min(2 ** (n - 1), 8), height // 2**n, width // 2**n


def run(params: dict, *, data_dir, seed: int, out_dir, resume: bool = True, hooks: Sequence[Hook] = ()) -> dict:
    cfg = section(params, "training", STAGE)
    epochs = check_epochs(cfg.get("epochs"), f"training.{STAGE}.epochs")
    disc_every = check_epochs(cfg.get("disc_every"), f"training.{STAGE}.disc_every")
    feature_clip = check_weight(cfg.get("feature_clip"), f"training.{STAGE}.feature_clip")
    w = loss_weights(params, STAGE, WEIGHTS)
    ctx = prepare_stage(STAGE, params, data_dir=data_dir, seed=seed, out_dir=out_dir, domains=("syn", "real"))
    check_input_size(params, ["depth", "translator"], ctx.data.height, ctx.data.width, ctx.data.data_dir)
    max_depth = ctx.data.max_depth

    channels, h, w_ = bottleneck_shape(params, ctx.data.height, ctx.data.width)
    hidden = section(params, "models", "feature_discriminator")["hidden_width"]
    nets = {
        "depth": build_network(params, "depth"),
        "translator_s2r": build_network(params, "translator_s2r"),
        "disc_real": build_network(params, "disc_real"),
        "disc_feature": build_model("feature_discriminator", in_channels=channels, height=h, width=w_, hidden_width=hidden),
    }
    check_discriminator_fits(nets["disc_real"], "disc_real", ctx.data.height, ctx.data.width, "lower models.patch_discriminator.num_layers")
    for net in nets.values():
        net.to(ctx.device)
    depth, gen, disc_img, disc_feat = (nets[r] for r in ("depth", "translator_s2r", "disc_real", "disc_feature"))
    tap = BottleneckTap(depth)
    opt_task = make_adam(itertools.chain(depth.parameters(), gen.parameters()), params["optim"])
    opt_disc = make_adam(itertools.chain(disc_img.parameters(), disc_feat.parameters()), params["optim"], discriminator=True)
    gan = GANLoss("lsgan")

    def step(batch, state) -> dict[str, float]:
        syn, real = ctx.to_device(batch["syn"]), ctx.to_device(batch["real"])
        x_s, x_r = syn["rgb"], real["rgb"]
        n = x_s.shape[0]
        for disc in (disc_img, disc_feat):
            disc.requires_grad_(False)
        with ctx.runtime.autocast():
            fake_r = gen(x_s)
            pred = depth(torch.cat([fake_r, x_r]))
            feats = tap.features
            pred_fake, pred_real = pred[:n], pred[n:]
            losses = {
                "gan_img": gan(disc_img(fake_r), True),
                "rec_img": F.l1_loss(gen(x_r), x_r),
                "depth_syn": depth_l1(pred_fake, syn, max_depth),
                "gan_feature": gan(disc_feat(feats[:n]), True),
                "smooth": edge_aware_smoothness(pred_real, x_r),
                "depth_real": depth_l1(pred_real, real, max_depth),
            }
            total = sum(w[f"lambda_{k}"] * v for k, v in losses.items())
        optimize(total, opt_task)
        if state.step % disc_every == 0:
            for disc in (disc_img, disc_feat):
                disc.requires_grad_(True)
            with ctx.runtime.autocast():
                feats = feats.detach()
                losses["disc_img"] = discriminator_loss(gan, disc_img(x_r), disc_img(fake_r.detach()))
                losses["disc_feature"] = discriminator_loss(gan, disc_feat(feats[n:]), disc_feat(feats[:n]))
            optimize(losses["disc_img"] + losses["disc_feature"], opt_disc)
            clip_weights_(disc_feat, feature_clip)
        return scalars({**losses, "total": total})

    plan = peer_plan(
        ctx,
        epochs=epochs,
        step_fn=lambda epoch: step,
        predict=depth,
        networks=nets,
        trainable=tuple(nets),
        optimizers={"task": opt_task, "discriminators": opt_disc},
        saved_roles=("depth",),
        meta={"peer": STAGE},
    )
    return run_training(ctx, plan, resume=resume, extra_hooks=hooks)
