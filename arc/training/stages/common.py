"""What every stage shares: setup (seed, runtime, data), network building from
params, upstream checkpoint loading, and ``run_training`` which wires the Trainer,
hooks, resume and the stage's output files. A stage module only states its
networks, optimisers, step functions and validation (a ``StagePlan``).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import torch
import torch.nn as nn

import arc.models  # noqa: F401  (registers every network)
from arc.errors import ConfigError
from arc.models.registry import build_model, model_spec
from arc.training import checkpoint as ckpt
from arc.training.data import BatchStream, StageData, cycled_batches, open_stage_data
from arc.training.device import Runtime, setup_runtime
from arc.training.hooks import LossLogHook, NaNGuardHook, ProgressHook, ResumeCheckpointHook, ValidationHook
from arc.training.loop import Hook, StepFn, Trainer, TrainState
from arc.training.optim import LRSchedule, check_optim, make_schedule
from arc.training.validation import DEPTH_METRICS
from arc.utils.atomic import atomic_torch_save, atomic_write_json
from arc.utils.seeding import derive_seed, seed_everything

# role -> (registry name, params["models"] key)
NETWORKS = {
    "depth": ("depth_unet", "depth"),
    "attention": ("attention_net", "attention"),
    "translator": ("resnet_generator", "translator"),
    "translator_s2r": ("resnet_generator", "translator"),
    "inpainter": ("resnet_generator", "inpainter"),
    "disc_syn": ("patch_discriminator", "patch_discriminator"),
    "disc_real": ("patch_discriminator", "patch_discriminator"),
    "disc_attention": ("patch_discriminator", "patch_discriminator"),
    "disc_inpaint": ("global_local_discriminator", "inpaint_discriminator"),
}
# Networks whose H, W must be divisible by 2**num_downsamples.
_DOWNSAMPLING = {"depth": "depth", "translator": "translator", "inpainter": "inpainter"}


# --- settings checks -------------------------------------------------------------------------


def section(params: Mapping, *keys: str) -> dict:
    node = params
    for i, key in enumerate(keys):
        if not isinstance(node, Mapping) or key not in node:
            raise ConfigError(f"params: missing key {'.'.join(keys[: i + 1])!r}")
        node = node[key]
    return node


def check_weight(value: object, key: str) -> float:
    """Loss weights are finite numbers >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{key} = {value!r}: expected a finite number >= 0 (loss weight)")
    return float(value)


def check_epochs(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{key} = {value!r}: expected an integer >= 1")
    return value


def validation_metric(params: Mapping) -> str:
    metric = section(params, "training", "validation", "metric")
    if metric not in DEPTH_METRICS:
        raise ConfigError(f"training.validation.metric = {metric!r}: expected one of {list(DEPTH_METRICS)}")
    return metric


# --- networks --------------------------------------------------------------------------------


def network_spec(params: Mapping, role: str) -> dict:
    name, key = NETWORKS[role]
    return {"name": name, "kwargs": dict(section(params, "models", key))}


def build_network(params: Mapping, role: str) -> nn.Module:
    spec = network_spec(params, role)
    try:
        return build_model(spec["name"], **spec["kwargs"])
    except ValueError as exc:  # the networks name the bad width/depth
        raise ConfigError(f"models.{NETWORKS[role][1]}: {exc}") from exc


def build_vgg(params: Mapping) -> nn.Module | None:
    """The frozen VGG of the perceptual/style losses, or None when ``models.vgg.fallback: off``
    and no weights are given (those losses are then switched off and the summary says so)."""
    vgg = section(params, "models", "vgg")
    if vgg.get("weights") is None:
        fallback = vgg.get("fallback", "random")
        if fallback == "off":
            return None
        if fallback == "error":
            raise ConfigError("models.vgg.weights is null and models.vgg.fallback is 'error': give the path of torchvision's ImageNet VGG weights")
        if fallback != "random":
            raise ConfigError(f"models.vgg.fallback = {fallback!r}: expected random | off | error")
    return build_model("vgg_features", arch=vgg.get("arch", "vgg16"), weights_path=vgg.get("weights"), seed=int(params.get("seed", 0)))


def freeze(module: nn.Module) -> nn.Module:
    module.requires_grad_(False)
    return module.eval()


def check_input_size(params: Mapping, roles: Iterable[str], height: int, width: int, data_dir: Path) -> None:
    for role in roles:
        key = _DOWNSAMPLING.get(role)
        if key is None:
            continue
        factor = 2 ** int(section(params, "models", key).get("num_downsamples", 0))
        if height % factor or width % factor:
            raise ConfigError(
                f"models.{key}.num_downsamples needs image height and width divisible by {factor}, but the cache "
                f"{data_dir} holds {height}x{width} images; lower num_downsamples or rebuild the cache at another size"
            )


def load_upstream(path: str | Path | None, role: str, *, stage: str, flag: str, params: Mapping) -> nn.Module:
    """A module from an upstream checkpoint, built with the current params' architecture."""
    if path is None:
        raise ConfigError(f"stage {stage!r} needs {flag} CHECKPOINT (produced by {ckpt.PRODUCER[role]})")
    return ckpt.load_module(path, role, needed_for=f"stage {stage!r} ({flag})", spec=network_spec(params, role))


def file_digest(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(ckpt.resolve_checkpoint_path(path), "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- per-stage context ---------------------------------------------------------------------------


@dataclass
class StageContext:
    stage: str
    params: dict
    seed: int  # the run's seed (one DAG branch per seed)
    stage_seed: int  # derived from params.seed, the run seed and the stage name
    runtime: Runtime
    data: StageData
    out_dir: Path
    batch_size: int
    generator: torch.Generator  # the stage's own noise (Gumbel samples, random holes)

    @property
    def device(self) -> torch.device:
        return self.runtime.device

    @property
    def steps_per_epoch(self) -> int:
        """One pass over the larger training set (see arc.training.data)."""
        return self.data.steps_per_epoch(self.batch_size)

    def batches(self, domains: Iterable[str], epoch: int) -> Iterable[dict]:
        """The epoch's batches: ``{domain: batch}`` for each domain, every domain cycled."""
        return cycled_batches({d: self.stream(d) for d in domains}, epoch, self.steps_per_epoch)

    def stream(self, name: str) -> BatchStream:
        return BatchStream(self.data[name], self.batch_size, seed=self.stage_seed, name=name, num_workers=self.runtime.num_workers)

    def to_device(self, batch: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {k: v.to(self.device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}


def prepare_stage(stage: str, params: dict, *, data_dir, seed: int, out_dir, domains: tuple[str, ...]) -> StageContext:
    """Check the shared settings, seed everything and open the data (nothing is written yet)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed = {seed!r}: expected an integer >= 0")
    optim = section(params, "optim")
    check_optim(optim)
    validation_metric(params)
    runtime = setup_runtime(params)
    stage_seed = derive_seed(int(params.get("seed", 0)), "train", stage, seed)
    seed_everything(stage_seed)
    data = open_stage_data(data_dir, domains)
    generator = torch.Generator(device=runtime.device)
    generator.manual_seed(derive_seed(stage_seed, "noise"))
    return StageContext(
        stage=stage,
        params=params,
        seed=seed,
        stage_seed=stage_seed,
        runtime=runtime,
        data=data,
        out_dir=Path(out_dir),
        batch_size=int(optim["batch_size"]),
        generator=generator,
    )


# --- the stage plan and the shared training driver ---------------------------------------------


@dataclass
class StagePlan:
    networks: dict[str, nn.Module]  # every network of the stage (trained + fixed); all go into last.pt
    trainable: tuple[str, ...]  # roles in train mode (the rest stay in eval mode)
    optimizers: dict[str, torch.optim.Optimizer]
    epochs: int
    steps_per_epoch: Callable[[int], int]
    batches: Callable[[int], Iterable[Mapping]]
    step_fn: Callable[[int], StepFn]
    validate: Callable[[], dict[str, float]]
    metric: str | None  # validation metric for "best" selection (None: nothing to select on)
    selection: str  # "best" | "last"
    saved_roles: tuple[str, ...]  # pipeline roles of ``networks`` stored in checkpoint.pt
    passengers: dict[str, dict] = field(default_factory=dict)  # upstream pipeline records carried over
    meta: dict = field(default_factory=dict)  # stage options recorded in checkpoints and the summary
    inputs: dict = field(default_factory=dict)  # upstream checkpoint paths (hashed into the fingerprint)


def fingerprint(ctx: StageContext, plan: StagePlan) -> str:
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
        "inputs": {k: file_digest(v) for k, v in sorted(plan.inputs.items())},
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


class _ModeHook(Hook):
    """Trained networks in train mode, fixed ones in eval mode, at every epoch start."""

    name = "modes"

    def __init__(self, networks: Mapping[str, nn.Module], trainable: Sequence[str]):
        self.networks, self.trainable = networks, set(trainable)

    def before_epoch(self, trainer: Trainer) -> None:
        for role, net in self.networks.items():
            net.train(role in self.trainable)


class _LRHook(Hook):
    """Apply the lr schedule (a pure function of the step) before every step."""

    name = "lr"

    def __init__(self, optimizers: Mapping[str, torch.optim.Optimizer], schedule: LRSchedule):
        self.optimizers, self.schedule = optimizers, schedule

    def before_step(self, trainer: Trainer) -> None:
        for opt in self.optimizers.values():
            self.schedule.apply(opt, trainer.state.step)


def _checkpoint_meta(ctx: StageContext, plan: StagePlan, epoch: int, step: int, metrics: Mapping[str, float]) -> dict:
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


def run_training(ctx: StageContext, plan: StagePlan, *, resume: bool = True, extra_hooks: Sequence[Hook] = ()) -> dict:
    """Train ``plan`` into ``ctx.out_dir`` (resuming from last.pt when it matches) and write summary.json."""
    out = ctx.out_dir
    out.mkdir(parents=True, exist_ok=True)
    last_path, selected_path = out / "last.pt", out / "checkpoint.pt"
    fp = fingerprint(ctx, plan)

    def eval_validate() -> dict[str, float]:
        for net in plan.networks.values():
            net.eval()
        with ctx.runtime.autocast():
            return plan.validate()

    def save_selected(epoch: int, metrics: dict[str, float]) -> None:
        records = {role: ckpt.module_record(plan.networks[role]) for role in plan.saved_roles}
        modules = {**plan.passengers, **records}
        ckpt.save_selected(selected_path, stage=ctx.stage, modules=modules, meta=_checkpoint_meta(ctx, plan, epoch, trainer.state.step, metrics))

    progress = ProgressHook()
    validation = ValidationHook(
        path=out / "val.csv", validate=eval_validate, save_selected=save_selected, metric=plan.metric, selection=plan.selection
    )
    hooks: list[Hook] = [
        _ModeHook(plan.networks, plan.trainable),
        NaNGuardHook(out),
        progress,
        LossLogHook(out / "log.csv"),
        *extra_hooks,
        validation,
    ]
    seconds = {"before": 0.0, "start": time.perf_counter()}

    def save_resume(trainer: Trainer) -> None:
        atomic_torch_save(
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
    hooks.append(ResumeCheckpointHook(save_resume))
    trainer = Trainer(
        stage=ctx.stage,
        epochs=plan.epochs,
        steps_per_epoch=plan.steps_per_epoch,
        batches=plan.batches,
        step_fn=plan.step_fn,
        hooks=hooks,
    )

    resumed_from = None
    if resume and last_path.is_file():
        state = ckpt.read_checkpoint(last_path)
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
            done = "already complete" if resumed_from >= plan.epochs else f"resuming after epoch {resumed_from}"
            print(f"[{ctx.stage}] {last_path}: {done}", file=sys.stderr)
        else:
            print(f"[{ctx.stage}] {last_path} was written with other settings or inputs; starting this stage afresh", file=sys.stderr)

    trainer.train()

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
    }
    atomic_write_json(out / "summary.json", _json_safe(summary))
    return summary


def _json_safe(value):
    """NaN/inf -> None so summary.json stays strict JSON (DVC reads it as metrics)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


# --- small pieces the step functions share -------------------------------------------------------


def depth_l1(pred_unit: torch.Tensor, batch: Mapping[str, torch.Tensor], max_depth: float) -> torch.Tensor:
    """L1 in the network's [-1, 1] depth range over valid pixels (ARC eq. 13)."""
    from arc.data.transforms import depth_to_unit
    from arc.losses.depth import masked_l1

    return masked_l1(pred_unit.float(), depth_to_unit(batch["depth"], max_depth), batch["valid"])


def optimize(loss: torch.Tensor, *optimizers: torch.optim.Optimizer) -> None:
    """One backward pass, then a step of every given optimiser."""
    for opt in optimizers:
        opt.zero_grad(set_to_none=True)
    loss.backward()
    for opt in optimizers:
        opt.step()


def scalars(losses: Mapping[str, torch.Tensor | float]) -> dict[str, float]:
    return {k: float(v.detach()) if torch.is_tensor(v) else float(v) for k, v in losses.items()}


def pipeline_roles(networks: Mapping[str, nn.Module]) -> tuple[str, ...]:
    return tuple(role for role in ckpt.PIPELINE_ROLES if role in networks)


def check_translator_pairing(upstream: str | Path, translator: str | Path | None, *, stage: str, flag: str) -> None:
    """A was trained on T(x) or on x; the downstream stage must feed it the same way."""
    path = ckpt.resolve_checkpoint_path(upstream)
    trained_with_t = "translator" in ckpt.read_checkpoint(path, needed_for=f"stage {stage!r} ({flag})", role="attention")["modules"]
    if trained_with_t and translator is None:
        raise ConfigError(
            f"{path} was trained on translated images T(x); stage {stage!r} needs --translator CHECKPOINT as well"
        )
    if not trained_with_t and translator is not None:
        raise ConfigError(
            f"{path} was trained on raw real images (no translator); drop --translator for stage {stage!r} "
            f"or use an attention checkpoint trained with T"
        )


def masked_validation(ctx: StageContext, front: nn.Module, depth: nn.Module | None) -> dict[str, float]:
    """Depth metrics of D(front(x)) on real_val with hard masks, plus the mean keep rate."""
    from arc.training.data import validation_batches
    from arc.training.validation import evaluate_depth

    keep: list[torch.Tensor] = []

    def predict(x: torch.Tensor) -> torch.Tensor:
        out = front(x, hard=True)
        if out["mask"] is not None:
            keep.append(out["mask"].float().mean(dim=(1, 2, 3)).cpu())
        return depth(out["net_input"])

    val = validation_batches(ctx.data["val"], ctx.batch_size, ctx.runtime.num_workers)
    metrics = evaluate_depth(predict, val, max_depth=ctx.data.max_depth, device=ctx.device)
    if keep:
        metrics["keep_rate"] = float(torch.cat(keep).mean())
    return metrics


def front_of(*, attention=None, translator=None, inpainter=None) -> nn.Module:
    """The pipeline up to D's input (T, A, I composed as in ARCPipeline; D = identity)."""
    from arc.models.pipeline import ARCPipeline

    return ARCPipeline(nn.Identity(), attention=attention, translator=translator, inpainter=inpainter)


def check_discriminator_fits(net: nn.Module, role: str, height: int, width: int, advice: str) -> None:
    """Dry-run a discriminator at the cache's image size so a too-small size fails before training."""
    x = torch.zeros(1, 3, height, width)
    try:
        with torch.no_grad():
            net(x, torch.ones(1, 1, height, width)) if role == "disc_inpaint" else net(x)
    except ValueError as exc:
        raise ConfigError(f"{exc}; the cache holds {height}x{width} images: {advice}") from exc
