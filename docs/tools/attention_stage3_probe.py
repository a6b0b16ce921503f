"""Why does the authors'-recipe stage 3 (A inside a fresh CycleGAN) end with a degenerate test mask?

One-off diagnostic (not part of the DAG; docs/attention-stage3.md). Runs the library's own stage
``arc train attention`` (training.attention.objective: cyclegan) unchanged and, through hooks and
wrappers local to this process, records per training step:
  - A's logits l on the training batch: mean, std, fraction l >= 0 (the test threshold rule),
    and the tau -> 0 keep rate under the training noise, mean(P(l + G > 0)), which for the Gumbel
    noise of eq. 1 is 1 - exp(-exp(l)) (0.632 at l = 0) and for logistic noise sigmoid(l);
  - the losses the stage logs (soft keep rate, KL, GANs, cycle, identity, discriminators);
  - which term moves the logits: d term / d s, where s shifts every logit of the batch by the same
    amount (sum over pixels of d term / d l; negative = the term raises the logits, i.e. keeps
    more), for lambda_kl * KL, the r2s GAN term, lambda_cycle * cycle, and the part of the cycle
    term that is the explicit M weighting of |s2r(r2s(M x)) - x| (the error held fixed).
and after every epoch, on real_val, the logits of A as the stage saves it (eval-mode BatchNorm,
i.e. what the threshold rule sees at test time) and with batch statistics (train-mode BN, on a
copy, so training is untouched): mean logit, kept fraction under the rules
    threshold 0 (the library's and the authors' test rule),
    threshold ln(ln 2) = -0.367 (where the Gumbel P(keep) = 1/2),
and the expected keep rate under the training noise.
``--no-cycle-mask`` (a counterfactual, not the recipe) scores the real cycle on every pixel,
as a plain CycleGAN does, to test whether the M weighting of the cycle term is what removes pixels.

Usage (in a workflow directory on params of objective cyclegan, e.g. configs/demo-authors.yaml):
    python docs/tools/attention_stage3_probe.py --params params.yaml --data data/cache/synthrooms-indoor \
        --depth runs/synthrooms-indoor/seed0/syn_only/checkpoint.pt --seed 0 --out /tmp/probe/seed0 \
        [--rho 0.85] [--epochs N] [--no-cycle-mask]
Writes OUT/steps.csv, OUT/epochs.csv (and the stage's own folder OUT/stage).
"""
from __future__ import annotations

import argparse
import copy
import csv
import math
from pathlib import Path

import torch
import torch.nn.functional as F

import arc.training.stages.attention as stage
from arc.config import load_params
from arc.training.loop import Hook
from arc.training.recipe import mask_noise
from arc.training.stages import attention_cyclegan

GUMBEL_HALF = math.log(math.log(2.0))  # logit where 1 - exp(-exp(l)) = 1/2


def noisy_keep(logits: torch.Tensor, noise: str) -> torch.Tensor:
    """P(l + noise > 0) per pixel: the tau -> 0 keep probability of the training mask."""
    return 1.0 - torch.exp(-torch.exp(logits)) if noise == "gumbel" else torch.sigmoid(logits)


def shift_derivative(term: torch.Tensor, logits: torch.Tensor) -> float:
    (grad,) = torch.autograd.grad(term, logits, retain_graph=True)
    return float(grad.sum())


class Probe:
    def __init__(self, params: dict, cycle_mask: bool):
        self.params = params
        self.noise = mask_noise(params)
        self.lambda_kl = float(params["training"]["attention"]["lambda_kl"])
        self.lambda_cycle = float(params["training"]["translator"]["lambda_cycle"])
        self.cycle_mask = cycle_mask
        self.attention = None
        self.ctx = None
        self.logits = None
        self.current: dict = {}
        self.steps: list[dict] = []
        self.epochs: list[dict] = []

    # --- wrappers installed into the stage module's namespace ------------------------------------
    def install(self) -> None:
        build, prepare = stage.build_network, stage.prepare_stage
        losses, kl = attention_cyclegan.generator_losses, stage.kl_sparsity

        self._build = build

        def build_network(params, role):
            net = build(params, role)
            if role == "attention":
                self.attention = net
                net.register_forward_hook(self._on_forward)
            return net

        def prepare_stage(*args, **kwargs):
            self.ctx = prepare(*args, **kwargs)
            return self.ctx

        def generator_losses(nets, gan, mask, x_r, x_s):
            fakes, terms = losses(nets, gan, mask, x_r, x_s)
            if not self.cycle_mask:
                # counterfactual: the real image's cycle on every pixel (a plain CycleGAN's L1)
                rec = nets["cyclegan_s2r"](fakes["syn"])
                terms["cycle"] = F.l1_loss(rec, x_r) + F.l1_loss(nets["cyclegan_r2s"](fakes["real"]), x_s)
            if self.logits is not None and self.logits.requires_grad:
                # the reconstruction error held fixed; a copy so s2r's BN statistics are not touched twice
                with torch.no_grad():
                    err = (copy.deepcopy(nets["cyclegan_s2r"])(fakes["syn"].detach()) - x_r).abs()
                self.current.update(
                    d_gan_r2s=shift_derivative(terms["gan_r2s"], self.logits),
                    d_cycle=shift_derivative(self.lambda_cycle * terms["cycle"], self.logits),
                    d_cycle_mask_weight=shift_derivative(self.lambda_cycle * (mask * err).mean(), self.logits)
                    if self.cycle_mask else 0.0,
                    real_cycle_error=float(err.mean()),
                )
            return fakes, terms

        def kl_sparsity(mask, rho, **kwargs):
            value = kl(mask, rho, **kwargs)
            if self.logits is not None and self.logits.requires_grad:
                self.current["d_kl"] = shift_derivative(self.lambda_kl * value, self.logits)
            return value

        stage.build_network, stage.prepare_stage, stage.kl_sparsity = build_network, prepare_stage, kl_sparsity
        attention_cyclegan.generator_losses = generator_losses

    def _on_forward(self, module, inputs, output):
        if module.training and torch.is_grad_enabled():
            self.logits = output
            l = output.detach().float()
            self.current = {
                "logit_mean": float(l.mean()),
                "logit_std": float(l.std()),
                "frac_logit_ge0": float((l >= 0).float().mean()),
                "noisy_keep_tau0": float(noisy_keep(l, self.noise).mean()),
            }

    # --- the hook the stage's trainer calls -------------------------------------------------------
    def hook(self) -> Hook:
        probe = self

        class ProbeHook(Hook):
            name = "stage3_probe"

            def after_step(self, trainer):
                row = {"epoch": trainer.state.epoch + 1, "step": trainer.state.step, **probe.current}
                row.update({k: v for k, v in trainer.state.losses.items()})
                probe.steps.append(row)

            def after_epoch(self, trainer):
                probe.epochs.append({"epoch": trainer.state.epoch + 1, **probe.evaluate(), **probe.epoch_means(trainer.state.epoch + 1)})

        return ProbeHook()

    def epoch_means(self, epoch: int) -> dict:
        rows = [r for r in self.steps if r["epoch"] == epoch]
        keys = [k for k in rows[0] if k not in ("epoch", "step")]
        return {f"train_{k}": sum(r[k] for r in rows) / len(rows) for k in keys}

    @torch.no_grad()
    def evaluate(self) -> dict:
        x = torch.stack([self.ctx.data["val"][i]["rgb"] for i in range(len(self.ctx.data["val"]))]).to(self.ctx.device)
        out = {}
        for mode in ("eval", "trainbn"):
            # a fresh copy (deepcopy would also copy this probe's forward hook and its graph)
            net = self._build(self.params, "attention").to(self.ctx.device)
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


def write_csv(path: Path, rows: list[dict]) -> None:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--depth", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rho", type=float, default=None, help="the row's rho (folder, rho_quantile); default params.rho")
    ap.add_argument("--epochs", type=int, default=None, help="override training.attention.epochs")
    ap.add_argument("--no-cycle-mask", action="store_true", help="counterfactual: unmasked real cycle loss")
    args = ap.parse_args()
    params = load_params(args.params)
    if params["training"]["attention"].get("objective") != "cyclegan":
        raise SystemExit(f"{args.params}: training.attention.objective must be cyclegan for this probe")
    if args.epochs is not None:
        params["training"]["attention"]["epochs"] = args.epochs
    probe = Probe(params, cycle_mask=not args.no_cycle_mask)
    probe.install()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = stage.run(params, data_dir=args.data, seed=args.seed, out_dir=out / "stage", depth=args.depth,
                        rho=args.rho, resume=False, hooks=[probe.hook()])
    write_csv(out / "steps.csv", probe.steps)
    write_csv(out / "epochs.csv", probe.epochs)
    print({"seconds": round(summary["seconds"], 1), "val": summary["val"]})
    for row in probe.epochs:
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})


if __name__ == "__main__":
    main()
