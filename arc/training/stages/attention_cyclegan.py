"""The authors' stage 3 (training.attention.objective: cyclegan): A trained inside a FRESH CycleGAN,
no depth loss (yunhan-zhao/ARC training/train_initial_attention_module_A.py).

A's soft mask M multiplies the real image before the real->synthetic generator:
    generators + A (one step):
        bce(D_syn(G_r2s(M * x_r)), real) + bce(D_real(G_s2r(x_s)), real)
      + lambda_cycle * (mean(M * |G_s2r(G_r2s(M * x_r)) - x_r|) + |G_r2s(G_s2r(x_s)) - x_s|_1)
      + lambda_identity * (|G_s2r(x_r) - x_r|_1 + |G_r2s(x_s) - x_s|_1)
      + lambda_kl * KL(rho_A || mean(M))
    discriminators: D_syn on x_s vs G_r2s(M * x_r), D_real on x_r vs G_s2r(x_s) (detached).
lambda_cycle and lambda_identity are the translator stage's (training.translator; the authors use
10 and 0.5 * 10 in both scripts). Both generators and both PatchGANs start from scratch and are
discarded afterwards: only A is kept, as in the authors' code (later stages use the translator
stage's T).
"""

from __future__ import annotations

from typing import Mapping

import torch
import torch.nn as nn
import torch.nn.functional as F

from arc.losses.adversarial import GANLoss

# our role names in the stage -> the CycleGAN role each is built as
ROLES = {
    "cyclegan_r2s": "translator",
    "cyclegan_s2r": "translator_s2r",
    "cyclegan_disc_syn": "disc_syn",
    "cyclegan_disc_real": "disc_real",
}
GENERATORS = ("cyclegan_r2s", "cyclegan_s2r")
DISCRIMINATORS = ("cyclegan_disc_syn", "cyclegan_disc_real")


def build(params: Mapping) -> dict[str, nn.Module]:
    from arc.training.stages.common import build_network

    return {name: build_network(params, role) for name, role in ROLES.items()}


def generator_losses(nets: Mapping[str, nn.Module], gan: GANLoss, mask: torch.Tensor, x_r: torch.Tensor, x_s: torch.Tensor):
    """(fakes, unweighted terms) of the generators' + A's step; ``mask`` is A's soft mask."""
    r2s, s2r = nets["cyclegan_r2s"], nets["cyclegan_s2r"]
    fake_s, fake_r = r2s(mask * x_r), s2r(x_s)
    losses = {
        "gan_r2s": gan(nets["cyclegan_disc_syn"](fake_s), True),
        "gan_s2r": gan(nets["cyclegan_disc_real"](fake_r), True),
        # the real image's cycle is scored on the kept pixels only (the removed ones cannot come back)
        "cycle": (mask * (s2r(fake_s) - x_r).abs()).mean() + F.l1_loss(r2s(fake_r), x_s),
        "identity": F.l1_loss(s2r(x_r), x_r) + F.l1_loss(r2s(x_s), x_s),
    }
    return {"syn": fake_s, "real": fake_r}, losses


def discriminator_losses(nets: Mapping[str, nn.Module], gan: GANLoss, x_r: torch.Tensor, x_s: torch.Tensor, fakes) -> torch.Tensor:
    from arc.losses.adversarial import discriminator_loss

    d_syn, d_real = nets["cyclegan_disc_syn"], nets["cyclegan_disc_real"]
    return discriminator_loss(gan, d_syn(x_s), d_syn(fakes["syn"].detach())) + discriminator_loss(
        gan, d_real(x_r), d_real(fakes["real"].detach())
    )
