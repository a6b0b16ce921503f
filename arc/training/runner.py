"""The shared training driver: a stage states *what* to train (``StagePlan``); ``run_training``
wires the Trainer, the hooks, resume from last.pt, checkpoint.pt and summary.json."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

import torch
import torch.nn as nn

from arc.errors import CheckpointError
from arc.models.registry import model_spec
from arc.training import checkpoint as ckpt
from arc.training.hooks import LossLogHook, NaNGuardHook, ProgressHook, ResumeCheckpointHook, TimingLog, ValidationHook
from arc.training.loop import Hook, StepFn, Trainer, TrainState
from arc.training.optim import LRSchedule, make_schedule
from arc.utils.atomic import atomic_write_json, publish_directory
from arc.utils.background_writer import BackgroundWriter
from arc.utils.folderlock import own_folder
from arc.utils.provenance import provenance


@dataclass
class StagePlan:
    networks: dict[str, nn.Module]  # every network of the stage (trained + fixed); all go into last.pt
    trainable: tuple[str, ...]  # roles in train mode (the rest in eval mode, but for batch_stats)
    optimizers: dict[str, torch.optim.Optimizer]
    epochs: int
    steps_per_epoch: Callable[[int], int]
    batches: Callable[[int], Iterable[Mapping]]
    step_fn: Callable[[int], StepFn]
    validate: Callable[[], dict[str, float]]
    metric: str | None  # validation metric for "best" selection (None: nothing to select on)
    selection: str  # "best" | "last"
    saved_roles: tuple[str, ...]  # roles of ``networks`` stored in checkpoint.pt (pipeline roles, plus what a later stage reuses)
    passengers: dict[str, dict] = field(default_factory=dict)  # upstream pipeline records carried over
    meta: dict = field(default_factory=dict)  # stage options recorded in checkpoints and the summary
    inputs: dict = field(default_factory=dict)  # upstream checkpoint paths (hashed into the fingerprint)
    # Fixed networks kept in train mode (training.frozen_bn: train, the authors' code): no gradient,
    # but BatchNorm runs on batch statistics and its running statistics keep moving.
    batch_stats: tuple[str, ...] = ()


def fingerprint(ctx, plan: StagePlan) -> str:
    """Everything that defines the run; a last.pt with another fingerprint is not resumed."""
    p = ctx.params
    content = {
        "stage": ctx.stage,
        "seed": ctx.seed,
        "stage_seed": ctx.stage_seed,
        "models": p.get("models"),
        "optim": p.get("optim"),
        "training": p.get("training"),
        "device": ctx.device.type,
        "precision": ctx.runtime.precision,
        "data": {k: v for k, v in ctx.data.manifests.items()},
        "meta": plan.meta,
        "inputs": {k: ckpt.file_digest(v) for k, v in sorted(plan.inputs.items())},
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


class _ModeHook(Hook):
    """Trained networks (and the fixed ones in ``batch_stats``) in train mode, the other fixed ones
    in eval mode, at every epoch start (validation puts every network in eval mode)."""

    name = "modes"

    def __init__(self, networks: Mapping[str, nn.Module], trainable: Sequence[str], batch_stats: Sequence[str] = ()):
        self.networks, self.train_mode = networks, set(trainable) | set(batch_stats)

    def before_epoch(self, trainer: Trainer) -> None:
        for role, net in self.networks.items():
            net.train(role in self.train_mode)


class _LRHook(Hook):
    """Apply the lr schedule (a pure function of the step) before every step."""

    name = "lr"

    def __init__(self, optimizers: Mapping[str, torch.optim.Optimizer], schedule: LRSchedule):
        self.optimizers, self.schedule = optimizers, schedule

    def before_step(self, trainer: Trainer) -> None:
        for opt in self.optimizers.values():
            self.schedule.apply(opt, trainer.state.step)


def _checkpoint_meta(ctx, plan: StagePlan, epoch: int, step: int, metrics: Mapping[str, float]) -> dict:
    return {
        "stage": ctx.stage,
        "seed": ctx.seed,
        "epoch": epoch,
        "step": step,
        "benchmark": ctx.data.benchmark,
        "max_depth": ctx.data.max_depth,
        "height": ctx.data.height,
        "width": ctx.data.width,
        "selection": plan.selection,
        "metric": plan.metric,
        "val": dict(metrics),
        **plan.meta,
    }


def work_dir(out_dir: str | os.PathLike) -> Path:
    """The undeclared sibling a stage trains in: ``<parent>/.<name>.partial``.

    Neither Snakemake nor DVC knows it, so neither deletes it when it cleans a failed or
    incomplete output, and the resume state (last.pt) survives every rerun; the declared
    folder appears only when training finished (:func:`publish_directory`).
    """
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.partial"


def _prepare_work_dir(out: Path, resume: bool) -> Path:
    work = work_dir(out)
    if not resume:
        shutil.rmtree(work, ignore_errors=True)
    elif not work.exists() and (out / "last.pt").is_file():
        # A finished folder (or one from before work folders): its last.pt is the resume state.
        os.replace(out, work)
    work.mkdir(parents=True, exist_ok=True)
    return work


def _clear(folder: Path) -> None:
    """Drop a stale run's files (other settings, or killed before its first last.pt)."""
    for child in folder.iterdir():
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()


# What a published stage folder holds (its contract); a stage missing one is not published.
STAGE_FILES = ("checkpoint.pt", "last.pt", "summary.json")


def run_training(ctx, plan: StagePlan, *, resume: bool = True, extra_hooks: Sequence[Hook] = ()) -> dict:
    """Train ``plan`` into ``ctx.out_dir`` (resuming from last.pt when it matches) and write summary.json.

    Everything is written into :func:`work_dir` first; ``ctx.out_dir`` appears (one rename) only
    once every file of :data:`STAGE_FILES` is written, so no engine can take a half-trained stage for
    a finished one. One process at a time trains a stage (:func:`own_folder`, held for the whole run):
    a second writer, e.g. a rerun beside a job that outlived its killed engine, is refused.
    """
    with own_folder(ctx.out_dir):
        return _train_and_publish(ctx, plan, resume=resume, extra_hooks=extra_hooks)


def _publish_complete(work: Path, final_out: Path) -> None:
    missing = [name for name in STAGE_FILES if not (work / name).is_file()]
    if missing:
        raise CheckpointError(
            f"{work}: training ended without {', '.join(missing)}; the stage is not published to {final_out}. "
            f"Delete {work} and rerun the stage"
        )
    publish_directory(work, final_out)


def _train_and_publish(ctx, plan: StagePlan, *, resume: bool, extra_hooks: Sequence[Hook]) -> dict:
    final_out = Path(ctx.out_dir)
    out = _prepare_work_dir(final_out, resume)
    last_path, selected_path = out / "last.pt", out / "checkpoint.pt"
    fp = fingerprint(ctx, plan)

    def eval_validate() -> dict[str, float]:
        # fp32, as `arc predict` computes the reported numbers: the epoch is selected on the same
        # arithmetic that is then scored (validation is ~50 forward passes an epoch; bf16 saves little).
        for net in plan.networks.values():
            net.eval()
        return plan.validate()

    writer = BackgroundWriter()

    def save_selected(epoch: int, metrics: dict[str, float]) -> None:
        with trainer.timing.measure("checkpoint_selected"):
            # The weights are copied to the host here; digest, pickling and the disk write overlap the next epoch.
            records = {role: ckpt.module_record(plan.networks[role]) for role in plan.saved_roles}
            modules = {**plan.passengers, **records}
            meta = _checkpoint_meta(ctx, plan, epoch, trainer.state.step, metrics)
            writer.submit(lambda: ckpt.save_selected(selected_path, stage=ctx.stage, modules=modules, meta=meta))

    progress = ProgressHook()
    validation = ValidationHook(
        path=out / "val.csv", validate=eval_validate, save_selected=save_selected, metric=plan.metric, selection=plan.selection
    )
    hooks: list[Hook] = [
        _ModeHook(plan.networks, plan.trainable, plan.batch_stats),
        NaNGuardHook(out),
        progress,
        LossLogHook(out / "log.csv"),
        *extra_hooks,
        validation,
    ]
    seconds = {"before": 0.0, "start": time.perf_counter()}

    def save_resume(trainer: Trainer) -> None:
        with trainer.timing.measure("checkpoint_resume"):
            writer.wait()  # last.pt records which epoch checkpoint.pt holds: that file must be on disk first
            _save_resume(trainer)

    def _save_resume(trainer: Trainer) -> None:
        ckpt.save_checked(
            last_path,
            {
                "format": ckpt.FORMAT,
                "kind": "resume",
                "stage": ctx.stage,
                "fingerprint": fp,
                "epochs_done": trainer.state.epoch + 1,
                "step": trainer.state.step,
                "seconds": seconds["before"] + time.perf_counter() - seconds["start"],
                "modules": {role: ckpt.module_record(net) for role, net in plan.networks.items()},
                "optimizers": {name: opt.state_dict() for name, opt in plan.optimizers.items()},
                "rng": {**ckpt.capture_rng(), "stage_generator": ctx.generator.get_state()},
                "hooks": {hook.name: hook.state_dict() for hook in trainer.hooks},
            },
        )

    total_steps = sum(plan.steps_per_epoch(e) for e in range(plan.epochs))
    hooks.insert(1, _LRHook(plan.optimizers, make_schedule(ctx.params["optim"], total_steps)))
    hooks.append(ResumeCheckpointHook(save_resume, every_s=ctx.runtime.resume_every_s))
    timing_log = TimingLog(out / "timing.csv")
    trainer = Trainer(
        stage=ctx.stage,
        epochs=plan.epochs,
        steps_per_epoch=plan.steps_per_epoch,
        batches=plan.batches,
        step_fn=plan.step_fn,
        hooks=hooks,
        on_epoch_timing=timing_log.append,
        readback_every=ctx.runtime.loss_readback_steps,
    )

    resumed_from = None
    state = ckpt.read_resume_state(last_path) if resume and last_path.is_file() else None
    if state is not None:
        if state.get("fingerprint") == fp and state.get("stage") == ctx.stage:
            for role, net in plan.networks.items():
                ckpt.load_state_checked(net, state["modules"][role]["state_dict"], path=last_path, role=role)
            for name, opt in plan.optimizers.items():
                opt.load_state_dict(state["optimizers"][name])
            ckpt.restore_rng(state["rng"])
            ctx.generator.set_state(state["rng"]["stage_generator"])
            for hook in hooks:
                if hook.name in state["hooks"]:
                    hook.load_state_dict(state["hooks"][hook.name])
            trainer.state = TrainState(epoch=int(state["epochs_done"]), step=int(state["step"]))
            seconds["before"] = float(state.get("seconds", 0.0))
            resumed_from = trainer.state.epoch
            timing_log.truncate(resumed_from)
            done = "already complete" if resumed_from >= plan.epochs else f"resuming after epoch {resumed_from}"
            print(f"[{ctx.stage}] {last_path}: {done}", file=sys.stderr)
        else:
            print(f"[{ctx.stage}] {last_path} was written with other settings or inputs; starting this stage afresh", file=sys.stderr)
            _clear(out)
    else:
        _clear(out)

    try:
        with _stop_on_sigterm(trainer):
            trainer.train()
    except BaseException:
        # The pending checkpoint.pt still lands (the last good epoch), without masking the stage's own error.
        with contextlib.suppress(Exception):
            writer.wait()
        raise
    writer.wait()

    summary = {
        "stage": ctx.stage,
        "seed": ctx.seed,
        "benchmark": ctx.data.benchmark,
        "epochs": plan.epochs,
        "steps": trainer.state.step,
        "seconds": round(seconds["before"] + time.perf_counter() - seconds["start"], 3),
        "resumed_from_epoch": resumed_from,
        "device": str(ctx.device),
        "precision": "bf16" if ctx.runtime.use_bf16 else "fp32",
        "selection": plan.selection,
        "metric": plan.metric,
        "selected_epoch": validation.best_epoch,
        "val": validation.best_metrics,
        "last_epoch_losses": progress.epoch_means() if progress.count else None,
        "modules": {**{r: rec["name"] for r, rec in plan.passengers.items()}, **{r: model_spec(plan.networks[r])["name"] for r in plan.saved_roles}},
        **plan.meta,
        "provenance": provenance(ctx.device, "bf16" if ctx.runtime.use_bf16 else "fp32"),
    }
    atomic_write_json(out / "summary.json", _json_safe(summary))
    _publish_complete(out, final_out)
    return summary


@contextlib.contextmanager
def _stop_on_sigterm(trainer: Trainer):
    """SIGTERM (how SLURM ends a job at its time limit) ends the stage after the current epoch,
    with last.pt written (ResumeCheckpointHook); a rerun resumes from it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signum, frame):
        print(f"[{trainer.stage}] SIGTERM: stopping after this epoch, with the resume state written", file=sys.stderr)
        trainer.stop_requested = True

    previous = signal.signal(signal.SIGTERM, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _json_safe(value):
    """NaN/inf -> None so summary.json stays strict JSON (DVC reads it as metrics)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value



