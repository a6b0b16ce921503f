"""Stage `joint`: train D and A together, T fixed (the authors' code step 5; not part of a
Table-2 row by default, available for experiments).

    l = ||D(M * T(x_r)) - y_r||_1 + ||D(x_s) - y_s||_1 + lambda_kl * KL(rho || mean(M))
M = Gumbel-sigmoid(A(x_r), tau) at the final pretraining temperature training.attention.tau_end.
An epoch is one pass over the larger training set, the other cycled (arc.training.data).
Model selection: the last epoch (the depth metric alone would favour keeping every pixel);
val.csv records depth metrics with hard masks and the keep rate.
"""

from __future__ import annotations

from typing import Sequence

import torch

from arc.losses.sparsity import check_rho, kl_sparsity
from arc.training import checkpoint as ckpt
from arc.training.loop import Hook
from arc.training.optim import make_adam
from arc.training.stages.attention import temperature_settings
from arc.training.runner import StagePlan, run_training
from arc.training.stages.common import (
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
    rho: float | None = None,
    resume: bool = True,
    hooks: Sequence[Hook] = (),
) -> dict:
    cfg = section(params, "training", STAGE)
    epochs = check_epochs(cfg.get("epochs"), f"training.{STAGE}.epochs")
    lambda_kl = check_weight(cfg.get("lambda_kl"), f"training.{STAGE}.lambda_kl")
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
    for net in nets.values():
        net.to(ctx.device)
    optimizers = {role: make_adam(nets[role].parameters(), params["optim"]) for role in ("depth", "attention")}
    front = front_of(attention=nets["attention"], translator=nets.get("translator"))
    carried = {r: rec for r, rec in ckpt.pipeline_records(attention, needed_for=f"stage {STAGE!r}").items() if r not in nets}

    def step(batch, state) -> dict[str, float]:
        real, syn = ctx.to_device(batch["real"]), ctx.to_device(batch["syn"])
        n_r = real["rgb"].shape[0]
        with ctx.runtime.autocast():
            out = front(real["rgb"], tau=tau, hard=False, generator=ctx.generator)
            pred = nets["depth"](torch.cat([out["net_input"], syn["rgb"]]))
            losses = {
                "depth_real": depth_l1(pred[:n_r], real, ctx.data.max_depth),
                "depth_syn": depth_l1(pred[n_r:], syn, ctx.data.max_depth),
                "kl": kl_sparsity(out["mask"].float(), rho),
            }
            total = losses["depth_real"] + losses["depth_syn"] + lambda_kl * losses["kl"]
        optimize(total, *optimizers.values())
        return scalars({**losses, "total": total, "keep_rate": out["mask"].mean()})

    plan = StagePlan(
        networks=nets,
        trainable=("depth", "attention"),
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
        meta={"rho": rho, "tau": tau, "translated": translator is not None},
        inputs={k: v for k, v in (("depth", depth), ("attention", attention), ("translator", translator)) if v is not None},
    )
    return run_training(ctx, plan, resume=resume, extra_hooks=hooks)
