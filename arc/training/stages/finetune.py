"""Stage `finetune`: modular coordinate descent (ARC Alg. 1), A fixed with hard masks.

For K = training.finetune.iterations iterations, alternate
    eq. 14 over D, T, I:  ||D(x~_r) - y_r||_1 + ||D(x_s) - y_s||_1   (epochs_per_step epochs)
    eq. 15 over D:        ||D(x~_r) - y_r||_1                         (epochs_per_step epochs)
with x~_r the real image through the row's modules (``rows.<row>.modules``):
x~_r = (1 - M) * I(M * T(x_r)) + M * T(x_r), M = hard A(x_r); a missing module is the
identity, and without I the removed pixels are 0 (M * T(x_r)). Synthetic images reach D
untouched. No adversarial or KL terms (Sec. 3.5). Every epoch, of either phase, has the steps of
one pass over the larger training set (arc.training.data). Each module keeps one Adam across phases.
With ``training.finetune.loss: combined`` (the authors' code) there are no phases: for
``training.finetune.epochs`` epochs one loss over D, T, I together,
    ||D(x~_r) - y_r||_1 + ||D(T(x_r)) - y_r||_1 + ||D(x_s) - y_s||_1
in every row, each term its own pass of D: without A, x~_r = T(x_r) and the middle term repeats the
first, so every row weighs real and synthetic images alike (2 : 1) and trains D's BatchNorm on a
real-only batch as well. With it only in the rows with A, those rows differed from ARC: T and mix +
fine-tuning by that term, a confound in every comparison of them (docs/premise-sweep/README.md,
"The attribution control").
Model selection: best ``training.validation.metric`` on real_val over all epochs.
The checkpoint holds every module of the row.
"""

from __future__ import annotations

from typing import Sequence

import torch

from arc.errors import ConfigError
from arc.settings import setting
from arc.training import checkpoint as ckpt
from arc.training.loop import Hook
from arc.training.optim import make_adam
from arc.training.recipe import batch_stat_roles, bn_passes, depth_pair, stage_optim, syn_depth_valid_only
from arc.training.runner import StagePlan, run_training
from arc.training.stages.common import (
    check_epochs,
    check_input_size,
    check_translator_pairing,
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
    validation_metric,
)

STAGE = "finetune"
# row module letter -> (pipeline role, CLI flag)
MODULES = {"T": ("translator", "--translator"), "A": ("attention", "--attention"), "I": ("inpainter", "--inpainter")}


def phase_of(epoch: int, epochs_per_step: int) -> int:
    """14 or 15: which equation of Alg. 1 epoch ``epoch`` optimises."""
    return 14 if epoch % (2 * epochs_per_step) < epochs_per_step else 15


def check_row_inputs(params: dict, row: str, given: dict) -> list[str]:
    rows = section(params, "rows")
    if row not in rows:
        raise ConfigError(f"rows.{row}: no such row; rows in params: {sorted(rows)}")
    modules = list(rows[row].get("modules", []))
    for letter, (role, flag) in MODULES.items():
        if letter in modules and given.get(role) is None:
            raise ConfigError(
                f"row {row!r} passes real images through {letter} (rows.{row}.modules = {modules}); "
                f"finetune needs {flag} CHECKPOINT (produced by {ckpt.PRODUCER[role]})"
            )
        if letter not in modules and given.get(role) is not None:
            raise ConfigError(f"row {row!r} has no {letter} (rows.{row}.modules = {modules}); drop {flag}")
    return modules


def run(
    params: dict,
    *,
    data_dir,
    seed: int,
    out_dir,
    row: str,
    depth,
    translator=None,
    attention=None,
    inpainter=None,
    resume: bool = True,
    hooks: Sequence[Hook] = (),
) -> dict:
    given = {"translator": translator, "attention": attention, "inpainter": inpainter}
    modules = check_row_inputs(params, row, given)
    cfg = section(params, "training", STAGE)
    iterations = check_epochs(cfg.get("iterations"), f"training.{STAGE}.iterations")
    per_step = check_epochs(cfg.get("epochs_per_step"), f"training.{STAGE}.epochs_per_step")
    loss = setting(params, "training.finetune.loss")
    if loss not in ("alternate", "combined"):
        raise ConfigError(f"training.{STAGE}.loss = {loss!r}: expected alternate | combined")
    combined = loss == "combined"
    if combined:
        print(f"[{STAGE}] loss: combined (the authors' code): one loss for training.{STAGE}.epochs epochs; "
              f"training.{STAGE}.iterations and epochs_per_step do not apply")
    epochs = check_epochs(cfg.get("epochs"), f"training.{STAGE}.epochs (needed by loss: combined)") if combined else iterations * 2 * per_step
    bn = bn_passes(params)
    syn_valid_only = syn_depth_valid_only(params)
    if attention is not None:
        check_translator_pairing(attention, translator, stage=STAGE, flag="--attention")
    if depth is None:
        load_upstream(None, "depth", stage=STAGE, flag="--depth", params=params)
    ctx = prepare_stage(STAGE, params, data_dir=data_dir, seed=seed, out_dir=out_dir, domains=("syn", "real"))
    roles = ["depth", *(MODULES[m][0] for m in modules)]
    check_input_size(params, roles, ctx.data.height, ctx.data.width, ctx.data.data_dir)

    nets = {"depth": load_upstream(depth, "depth", stage=STAGE, flag="--depth", params=params)}
    for letter in ("T", "A", "I"):
        role, flag = MODULES[letter]
        if letter in modules:
            nets[role] = load_upstream(given[role], role, stage=STAGE, flag=flag, params=params)
    if "attention" in nets:
        freeze(nets["attention"])  # A stays fixed: hard masks, no gradient (Sec. 3.5)
    for net in nets.values():
        net.to(ctx.device)
    trained = tuple(r for r in ("depth", "translator", "inpainter") if r in nets)
    optimizers = {role: make_adam(nets[role].parameters(), stage_optim(params, STAGE)) for role in trained}
    front = front_of(attention=nets.get("attention"), translator=nets.get("translator"), inpainter=nets.get("inpainter"))
    max_depth = ctx.data.max_depth
    rho = ckpt.read_checkpoint(attention)["meta"].get("rho") if attention is not None else None

    def step_eq14(batch, state) -> dict[str, float]:
        real, syn = ctx.to_device(batch["real"]), ctx.to_device(batch["syn"])
        n_r = real["rgb"].shape[0]
        with ctx.runtime.autocast():
            out = front(real["rgb"], hard=True)
            pred_r, pred_s = depth_pair(nets["depth"], out["net_input"], syn["rgb"], bn)
            losses = {"depth_real": depth_l1(pred_r, real, max_depth), "depth_syn": depth_l1(pred_s, syn, max_depth, syn_valid_only)}
            total = losses["depth_real"] + losses["depth_syn"]
            if combined:  # its own pass of D, in every row (its BatchNorm sees the real images alone)
                losses["depth_translated"] = depth_l1(nets["depth"](out["translated"]), real, max_depth)
                total = total + losses["depth_translated"]
        optimize(total, *optimizers.values())
        return scalars({**losses, "total": total, "phase": 0 if combined else 14})

    # In eq. 15 T, A and I are fixed for the whole epoch, so x~_r of each real_train image is the
    # same at every step: computed once per epoch (in batches of batch_size, no RNG drawn) instead
    # of at each of the epoch's steps (the real set is cycled several times per epoch: one epoch is a
    # pass over the larger, synthetic set).
    fronted = {}

    def fronted_real(epoch: int) -> torch.Tensor:
        if epoch not in fronted:
            fronted.clear()
            real_set = ctx.data["real"]
            parts = []
            with torch.no_grad():
                for start in range(0, len(real_set), ctx.batch_size):
                    rgb = torch.stack([real_set[i]["rgb"] for i in range(start, min(start + ctx.batch_size, len(real_set)))])
                    parts.append(front(rgb.to(ctx.device), hard=True)["net_input"])
            fronted[epoch] = torch.cat(parts)
        return fronted[epoch]

    def step_eq15(batch, state) -> dict[str, float]:
        real = ctx.to_device(batch["real"])
        x_tilde = fronted_real(state.epoch)[batch["real"]["index"].to(ctx.device)]  # only D is optimised in eq. 15
        if "flipped" in real:  # training.flip: x~_r was computed on the unflipped image
            x_tilde = torch.where(real["flipped"].view(-1, 1, 1, 1), x_tilde.flip(-1), x_tilde)
        with ctx.runtime.autocast():
            total = depth_l1(nets["depth"](x_tilde), real, max_depth)
        optimize(total, optimizers["depth"])
        return scalars({"depth_real": total, "total": total, "phase": 15})

    def batches(epoch: int):
        return ctx.batches(("syn", "real") if combined or phase_of(epoch, per_step) == 14 else ("real",), epoch)

    plan = StagePlan(
        networks=nets,
        trainable=trained,
        optimizers=optimizers,
        epochs=epochs,
        steps_per_epoch=lambda epoch: ctx.steps_per_epoch,
        batches=batches,
        step_fn=lambda epoch: step_eq14 if combined or phase_of(epoch, per_step) == 14 else step_eq15,
        validate=lambda: masked_validation(ctx, front, nets["depth"]),
        metric=validation_metric(params),
        selection="best",
        saved_roles=pipeline_roles(nets),
        meta={"row": row, "modules": modules, "rho": rho, **({"loss": loss} if combined else {})},
        inputs={k: v for k, v in (("depth", depth), *given.items()) if v is not None},
        # training.frozen_bn: train (the authors): the fixed A runs on batch statistics and is saved with them
        batch_stats=batch_stat_roles(params, ("attention",) if "attention" in nets else ()),
    )
    return run_training(ctx, plan, resume=resume, extra_hooks=hooks)
