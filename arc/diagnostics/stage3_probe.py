"""Why does the authors'-recipe stage 3 (A inside a fresh CycleGAN) end with a degenerate test mask?

Runs the library's own stage (``arc.training.stages.attention.run``, training.attention.objective:
cyclegan) unchanged, through the ``step_probe`` the stage offers and a training Hook, and records
per training step:
  - A's logits l on the training batch: mean, std, fraction l >= 0 (the test threshold rule), and
    the tau -> 0 keep rate under the training noise, mean(P(l + G > 0)), which for the Gumbel noise
    of eq. 1 is 1 - exp(-exp(l)) (0.632 at l = 0) and for logistic noise sigmoid(l);
  - the losses the stage logs;
  - which term moves the logits: d term / d s, where s shifts every logit of the batch by the same
    amount (sum over pixels of d term / d l; negative = the term raises the logits, i.e. keeps
    more), for lambda_kl * KL, the r2s GAN term, lambda_cycle * cycle, and the part of the cycle
    term that is the explicit M weighting of |s2r(r2s(M x)) - x| (the error held fixed);
and after every epoch, on real_val, A's logits as the stage saves it (eval-mode BatchNorm) and with
batch statistics (train-mode BN, on a copy): mean logit, kept fraction under threshold 0 and under
ln(ln 2) (where the Gumbel P(keep) = 1/2), and the expected keep rate under the training noise.
``cycle_mask=False`` (a counterfactual, not the recipe) scores the real cycle on every pixel, as a
plain CycleGAN does. docs/attention-stage3.md has the findings.
"""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F

from arc.training.loop import Hook

GUMBEL_HALF = math.log(math.log(2.0))  # logit where 1 - exp(-exp(l)) = 1/2


def noisy_keep(logits: torch.Tensor, noise: str) -> torch.Tensor:
    """P(l + noise > 0) per pixel: the tau -> 0 keep probability of the training mask."""
    return 1.0 - torch.exp(-torch.exp(logits)) if noise == "gumbel" else torch.sigmoid(logits)


def shift_derivative(term: torch.Tensor, logits: torch.Tensor) -> float:
    """d term / d s for logits + s (the sum of the gradient over every logit)."""
    (grad,) = torch.autograd.grad(term, logits, retain_graph=True)
    return float(grad.sum())


def logit_stats(logits: torch.Tensor, noise: str) -> dict[str, float]:
    l = logits.detach().float()
    return {"logit_mean": float(l.mean()), "logit_std": float(l.std()), "frac_logit_ge0": float((l >= 0).float().mean()),
            "noisy_keep_tau0": float(noisy_keep(l, noise).mean())}


class Stage3Probe:
    """``step_probe`` for the attention stage plus a Hook that files one row per step and per epoch."""

    def __init__(self, params: dict, cycle_mask: bool = True):
        from arc.training.recipe import mask_noise

        self.params = params
        self.noise = mask_noise(params)
        self.lambda_kl = float(params["training"]["attention"]["lambda_kl"])
        self.lambda_cycle = float(params["training"]["translator"]["lambda_cycle"])
        self.cycle_mask = cycle_mask
        self.ctx = None
        self.attention = None
        self.current: dict = {}
        self.steps: list[dict] = []
        self.epochs: list[dict] = []

    def __call__(self, *, ctx, nets, logits, mask, x_r, x_s, fakes, losses) -> None:
        self.ctx, self.attention = ctx, nets["attention"]
        self.current = logit_stats(logits, self.noise)
        if not self.cycle_mask:
            # counterfactual: the real image's cycle on every pixel (a plain CycleGAN's L1)
            losses["cycle"] = (F.l1_loss(nets["cyclegan_s2r"](fakes["syn"]), x_r)
                               + F.l1_loss(nets["cyclegan_r2s"](fakes["real"]), x_s))
        with torch.no_grad():  # the reconstruction error held fixed; a copy keeps s2r's BN statistics
            err = (copy.deepcopy(nets["cyclegan_s2r"])(fakes["syn"].detach()) - x_r).abs()
        self.current.update(
            d_kl=shift_derivative(self.lambda_kl * losses["kl"], logits),
            d_gan_r2s=shift_derivative(losses["gan_r2s"], logits),
            d_cycle=shift_derivative(self.lambda_cycle * losses["cycle"], logits),
            d_cycle_mask_weight=shift_derivative(self.lambda_cycle * (mask * err).mean(), logits) if self.cycle_mask else 0.0,
            real_cycle_error=float(err.mean()),
        )

    def hook(self) -> Hook:
        probe = self

        class ProbeHook(Hook):
            name = "stage3_probe"

            def after_step(self, trainer):
                probe.steps.append({"epoch": trainer.state.epoch + 1, "step": trainer.state.step, **probe.current,
                                    **dict(trainer.state.losses)})

            def after_epoch(self, trainer):
                epoch = trainer.state.epoch + 1
                probe.epochs.append({"epoch": epoch, **probe.evaluate(), **probe.epoch_means(epoch)})

        return ProbeHook()

    def epoch_means(self, epoch: int) -> dict:
        rows = [r for r in self.steps if r["epoch"] == epoch]
        keys = [k for k in rows[0] if k not in ("epoch", "step")]
        return {f"train_{k}": sum(r[k] for r in rows) / len(rows) for k in keys}

    @torch.no_grad()
    def evaluate(self) -> dict:
        from arc.training.stages.common import build_network

        val = self.ctx.data["val"]
        x = torch.stack([val[i]["rgb"] for i in range(len(val))]).to(self.ctx.device)
        out = {}
        for mode in ("eval", "trainbn"):
            net = build_network(self.params, "attention").to(self.ctx.device)
            net.load_state_dict(self.attention.state_dict())
            net.train(mode == "trainbn")
            bs = self.ctx.batch_size
            l = torch.cat([net(x[i:i + bs]) for i in range(0, len(x), bs)]).float()
            per_image = (l >= 0).float().flatten(1).mean(1)
            out.update({
                f"val_{mode}_logit_mean": float(l.mean()),
                f"val_{mode}_logit_std": float(l.std()),
                f"val_{mode}_keep_thr0": float(per_image.mean()),
                f"val_{mode}_keep_thr0_min_image": float(per_image.min()),
                f"val_{mode}_keep_thr0_max_image": float(per_image.max()),
                f"val_{mode}_keep_thr_gumbel_half": float((l >= GUMBEL_HALF).float().mean()),
                f"val_{mode}_noisy_keep_tau0": float(noisy_keep(l, self.noise).mean()),
            })
        return out


def run_probe(params: dict, *, data_dir, depth, seed: int, out_dir, rho: float | None = None,
              cycle_mask: bool = True) -> tuple[dict, Stage3Probe]:
    """Train stage 3 into ``out_dir/stage`` with the probe attached; returns (the stage's summary, the probe)."""
    from pathlib import Path

    from arc.errors import ConfigError
    from arc.training.stages import attention as stage

    if params["training"]["attention"].get("objective") != "cyclegan":
        raise ConfigError("training.attention.objective must be cyclegan for the stage-3 probe "
                          f"(got {params['training']['attention'].get('objective', 'depth')!r})")
    probe = Stage3Probe(params, cycle_mask=cycle_mask)
    summary = stage.run(params, data_dir=data_dir, seed=seed, out_dir=Path(out_dir) / "stage", depth=depth,
                        rho=rho, resume=False, hooks=[probe.hook()], step_probe=probe)
    return summary, probe
