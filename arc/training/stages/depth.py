"""Stage `depth`: pretrain D on synthetic only, real only, or a mix of both (ARC Sec. 3.5).

Loss (eq. 13, restricted to the chosen source):
    l_d = E_real ||D(x_r) - y_r||_1 + E_syn ||D(x_s) - y_s||_1
in D's [-1, 1] depth range over valid pixels. For ``mix`` one step sees a syn batch and a
real batch (concatenated through D so BatchNorm sees the mixed batch). An epoch is one pass over
the larger set (syn_train) for every source, the real set cycled, so ``real`` gets the same
update budget as ``syn``/``mix`` (see arc.training.data).
Model selection: best ``training.validation.metric`` on real_val.
"""

from __future__ import annotations

from typing import Sequence

import torch

from arc.errors import ConfigError
from arc.training.data import validation_batches
from arc.training.loop import Hook
from arc.training.optim import make_adam
from arc.training.recipe import bn_passes, syn_depth_valid_only, stage_optim
from arc.training.runner import StagePlan, run_training
from arc.training.stages.common import (
    build_network,
    check_epochs,
    check_input_size,
    depth_l1,
    optimize,
    prepare_stage,
    scalars,
    section,
    validation_metric,
)
from arc.training.validation import evaluate_depth

STAGE = "depth"
SOURCES = {"syn": ("syn",), "real": ("real",), "mix": ("syn", "real")}


def resolve_source(params: dict, source: str | None, row: str | None) -> str:
    """``--source`` directly, or the ``depth_source`` of ``rows.<row>``; both must agree."""
    if row is not None:
        rows = section(params, "rows")
        if row not in rows:
            raise ConfigError(f"rows.{row}: no such row; rows in params: {sorted(rows)}")
        row_source = rows[row].get("depth_source")
        if source is not None and source != row_source:
            raise ConfigError(f"--source {source} contradicts rows.{row}.depth_source = {row_source!r}")
        source = row_source
    if source not in SOURCES:
        raise ConfigError(f"depth source {source!r}: expected one of {sorted(SOURCES)} (--source or rows.<row>.depth_source)")
    return source


def run(
    params: dict,
    *,
    data_dir,
    seed: int,
    out_dir,
    source: str | None = None,
    row: str | None = None,
    resume: bool = True,
    hooks: Sequence[Hook] = (),
) -> dict:
    source = resolve_source(params, source, row)
    epochs = check_epochs(section(params, "training", STAGE, "epochs"), f"training.{STAGE}.epochs")
    domains = SOURCES[source]
    ctx = prepare_stage(STAGE, params, data_dir=data_dir, seed=seed, out_dir=out_dir, domains=domains)
    check_input_size(params, ["depth"], ctx.data.height, ctx.data.width, ctx.data.data_dir)
    max_depth = ctx.data.max_depth

    depth = build_network(params, "depth").to(ctx.device)
    optimizer = make_adam(depth.parameters(), stage_optim(params, STAGE))

    separate = bn_passes(params) == "separate"
    valid_only = {"syn": syn_depth_valid_only(params), "real": True}  # training.syn_depth_l1

    def step(batch, state) -> dict[str, float]:
        parts = [ctx.to_device(batch[d]) for d in domains]
        with ctx.runtime.autocast():
            if separate:  # training.bn_passes: one forward pass per domain (the authors' code)
                pred = torch.cat([depth(p["rgb"]) for p in parts])
            else:
                pred = depth(torch.cat([p["rgb"] for p in parts]))
        losses, start = {}, 0
        for domain, part in zip(domains, parts):
            n = part["rgb"].shape[0]
            losses[f"depth_{domain}"] = depth_l1(pred[start : start + n], part, max_depth, valid_only[domain])
            start += n
        total = sum(losses.values())
        optimize(total, optimizer)
        return scalars({**losses, "total": total})

    def validate() -> dict[str, float]:
        val = validation_batches(ctx.data["val"], ctx.batch_size, ctx.runtime.num_workers)
        return evaluate_depth(depth, val, max_depth=max_depth, device=ctx.device)

    plan = StagePlan(
        networks={"depth": depth},
        trainable=("depth",),
        optimizers={"depth": optimizer},
        epochs=epochs,
        steps_per_epoch=lambda epoch: ctx.steps_per_epoch,
        batches=lambda epoch: ctx.batches(domains, epoch),
        step_fn=lambda epoch: step,
        validate=validate,
        metric=validation_metric(params),
        selection="best",
        saved_roles=("depth",),
        meta={"source": source, "row": row},
    )
    return run_training(ctx, plan, resume=resume, extra_hooks=hooks)
