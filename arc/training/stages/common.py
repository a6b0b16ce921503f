"""What every stage shares: settings checks, setup (seed, runtime, data), network building
from params, upstream checkpoint loading and small step/validation helpers. A stage module
states its networks, optimisers, step functions and validation as an
``arc.training.runner.StagePlan`` and hands it to ``run_training``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import torch
import torch.nn as nn

import arc.models  # noqa: F401  (registers every network)
from arc.errors import ConfigError
from arc.models.from_settings import (  # noqa: F401  (the stages build their networks from the settings)
    ARCHS,
    AUTHORS_NETWORKS,
    DOWNSAMPLING,
    NETWORKS,
    build_network,
    build_vgg,
    downsampling_factor,
    network_arch,
    network_spec,
)
from arc.settings import section, setting
from arc.models.registry import build_model
from arc.training import checkpoint as ckpt
from arc.training.data import BatchStream, StageData, cycled_batches, open_stage_data
from arc.training.device import Runtime, setup_runtime
from arc.training.loop import Hook
from arc.training.optim import check_optim
from arc.training.validation import DEPTH_METRICS
from arc.utils.seeding import derive_seed, seed_everything

# --- settings checks -------------------------------------------------------------------------


def check_weight(value: object, key: str) -> float:
    """Loss weights are finite numbers >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{key} = {value!r}: expected a finite number >= 0 (loss weight)")
    return float(value)


def check_epochs(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{key} = {value!r}: expected an integer >= 1")
    return value


def max_steps_per_epoch(params: Mapping) -> int | None:
    """``training.max_steps_per_epoch``: null (default, no cap) or the most steps of any epoch."""
    cap = setting(params, "training.max_steps_per_epoch")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        raise ConfigError(f"training.max_steps_per_epoch = {cap!r}: expected null (no cap) or an integer >= 1")
    return cap


def validation_metric(params: Mapping) -> str:
    metric = section(params, "training", "validation", "metric")
    if metric not in DEPTH_METRICS:
        raise ConfigError(f"training.validation.metric = {metric!r}: expected one of {list(DEPTH_METRICS)}")
    return metric


# --- networks --------------------------------------------------------------------------------


def freeze(module: nn.Module) -> nn.Module:
    module.requires_grad_(False)
    return module.eval()


def check_input_size(params: Mapping, roles: Iterable[str], height: int, width: int, data_dir: Path) -> None:
    for role in roles:
        key = DOWNSAMPLING.get(role)
        if key is None:
            continue
        factor = downsampling_factor(params, key)
        if height % factor or width % factor:
            what = "arch: authors" if network_arch(params, key) == "authors" else "num_downsamples"
            raise ConfigError(
                f"models.{key}.{what} needs image height and width divisible by {factor}, but the cache "
                f"{data_dir} holds {height}x{width} images; "
                + ("rebuild the cache at another size" if what.startswith("arch") else "lower num_downsamples or rebuild the cache at another size")
            )


def load_upstream(path: str | Path | None, role: str, *, stage: str, flag: str, params: Mapping) -> nn.Module:
    """A module from an upstream checkpoint, built with the current params' architecture; from the
    upstream run's feed.pt where it has one (training.<stage>.feed_fraction, checkpoint.upstream_checkpoint)."""
    if path is None:
        raise ConfigError(f"stage {stage!r} needs {flag} CHECKPOINT (produced by {ckpt.PRODUCER[role]})")
    return ckpt.load_module(ckpt.upstream_checkpoint(path), role, needed_for=f"stage {stage!r} ({flag})", spec=network_spec(params, role))


class FeedCheckpointHook(Hook):
    """Writes feed.pt (the checkpoint later stages load) at the end of the 1-based epoch ``epoch``:
    the records of ``roles`` plus ``passengers``, as checkpoint.pt holds them."""

    name = "feed_checkpoint"

    def __init__(self, ctx: "StageContext", networks: Mapping[str, nn.Module], roles: Sequence[str], passengers: Mapping[str, dict],
                 epoch: int, meta: Mapping):
        self.ctx, self.networks, self.roles, self.passengers, self.epoch, self.meta = ctx, networks, roles, passengers, epoch, meta

    def after_epoch(self, trainer) -> None:
        if trainer.state.epoch + 1 != self.epoch:
            return
        from arc.training.runner import work_dir

        records = {role: ckpt.module_record(self.networks[role]) for role in self.roles}
        meta = {"stage": self.ctx.stage, "seed": self.ctx.seed, "epoch": self.epoch, "step": trainer.state.step,
                "max_depth": self.ctx.data.max_depth, "height": self.ctx.data.height, "width": self.ctx.data.width, **self.meta}
        ckpt.save_feed(work_dir(self.ctx.out_dir) / ckpt.FEED_NAME, stage=self.ctx.stage, modules={**self.passengers, **records}, meta=meta)


def feed_hooks(ctx: "StageContext", plan) -> list:
    """[FeedCheckpointHook] where training.<stage>.feed_fraction < 1, else [] (later stages load checkpoint.pt)."""
    from arc.training.recipe import feed_epoch, feed_fraction

    fraction = feed_fraction(ctx.params, ctx.stage)
    if fraction >= 1.0:
        return []
    epoch = feed_epoch(fraction, plan.epochs)
    return [FeedCheckpointHook(ctx, plan.networks, plan.saved_roles, plan.passengers, epoch, {**plan.meta, "feed_fraction": fraction})]


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
    streams: dict[str, BatchStream] = field(default_factory=dict)  # one per domain, built on first use

    @property
    def device(self) -> torch.device:
        return self.runtime.device

    @property
    def steps_per_epoch(self) -> int:
        """One pass over the larger training set, or over the real set (training.epoch; arc.training.recipe)."""
        from arc.training.recipe import steps_per_epoch

        steps = steps_per_epoch(self.params, self.data.counts, self.batch_size)
        cap = max_steps_per_epoch(self.params)
        return steps if cap is None else min(steps, cap)

    def batches(self, domains: Iterable[str], epoch: int) -> Iterable[dict]:
        """The epoch's batches: ``{domain: batch}`` for each domain, every domain cycled;
        randomly flipped under training.flip (a pure function of seed, domain and epoch); under
        training.flip_pairs one draw per batch position serves every domain."""
        from arc.training.recipe import flip_batch, flip_pairs, flips, paired_flips

        batches = cycled_batches({d: self.stream(d) for d in domains}, epoch, self.steps_per_epoch)
        if not flips(self.params):
            return batches
        if flip_pairs(self.params):
            pair_gen = torch.Generator().manual_seed(derive_seed(self.stage_seed, "flip", "pairs", epoch))
            return (paired_flips(group, pair_gen) for group in batches)
        gens = {d: torch.Generator().manual_seed(derive_seed(self.stage_seed, "flip", d, epoch)) for d in domains}
        return ({d: flip_batch(b, gens[d]) for d, b in group.items()} for group in batches)

    def stream(self, name: str) -> BatchStream:
        """The stage's batch stream of one domain; built once, so its loader (and its worker
        processes) serves every epoch and pass of the stage."""
        if name not in self.streams:
            self.streams[name] = BatchStream(self.data[name], self.batch_size, seed=self.stage_seed, name=name,
                                             num_workers=self.runtime.num_workers, pin_memory=self.runtime.pin_memory)
        return self.streams[name]

    def to_device(self, batch: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {k: v.to(self.device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}


def prepare_stage(stage: str, params: dict, *, data_dir, seed: int, out_dir, domains: tuple[str, ...]) -> StageContext:
    """Check the shared settings, seed everything and open the data (nothing is written yet)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed = {seed!r}: expected an integer >= 0")
    optim = section(params, "optim")
    check_optim(optim)
    validation_metric(params)
    max_steps_per_epoch(params)
    runtime = setup_runtime(params)
    stage_seed = derive_seed(int(setting(params, "seed")), "train", stage, seed)
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


# --- small pieces the step functions share -------------------------------------------------------


def depth_l1(pred_unit: torch.Tensor, batch: Mapping[str, torch.Tensor], max_depth: float, valid_only: bool = True) -> torch.Tensor:
    """L1 in the network's [-1, 1] depth range over valid pixels (ARC eq. 13); over every pixel
    with ``valid_only=False`` (the authors' synthetic term, training.syn_depth_l1: unmasked)."""
    from arc.data.transforms import depth_to_unit
    from arc.losses.depth import masked_l1

    valid = batch["valid"] if valid_only else torch.ones_like(batch["valid"], dtype=torch.bool)
    return masked_l1(pred_unit.float(), depth_to_unit(batch["depth"], max_depth), valid)


def optimize(loss: torch.Tensor, *optimizers: torch.optim.Optimizer) -> None:
    """One backward pass, then a step of every given optimiser."""
    for opt in optimizers:
        opt.zero_grad(set_to_none=True)
    loss.backward()
    for opt in optimizers:
        opt.step()


def scalars(losses: Mapping[str, torch.Tensor | float]) -> dict[str, torch.Tensor | float]:
    """A step's losses as the trainer logs them: tensors detached and left on the device (the
    trainer reads them back every runtime.loss_readback_steps steps), numbers as floats."""
    return {k: v.detach() if torch.is_tensor(v) else float(v) for k, v in losses.items()}


def pipeline_roles(networks: Mapping[str, nn.Module]) -> tuple[str, ...]:
    return tuple(role for role in ckpt.PIPELINE_ROLES if role in networks)


def check_translator_pairing(upstream: str | Path, translator: str | Path | None, *, stage: str, flag: str) -> None:
    """A was trained on T(x) or on x; the downstream stage must feed it the same way."""
    path = ckpt.resolve_checkpoint_path(upstream)
    saved = ckpt.read_checkpoint(path, needed_for=f"stage {stage!r} ({flag})", role="attention")
    if saved.get("meta", {}).get("objective") == "cyclegan":
        return  # A learnt inside a CycleGAN on raw images: no T in its training, fits rows with and without T
    trained_with_t = "translator" in saved["modules"]
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


def mask_validation(ctx: StageContext, front: nn.Module) -> dict[str, float]:
    """The mean keep rate of A's hard masks on real_val (a stage 3 trained without D)."""
    from arc.training.data import validation_batches

    keep: list[torch.Tensor] = []
    with torch.no_grad():
        for batch in validation_batches(ctx.data["val"], ctx.batch_size, ctx.runtime.num_workers):
            out = front(batch["rgb"].to(ctx.device), hard=True)
            keep.append(out["mask"].float().mean(dim=(1, 2, 3)).cpu())
    return {"keep_rate": float(torch.cat(keep).mean())}


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


# --- what the peer stages (t2net, crdoco, gasda) share ----------------------------------------


def loss_weights(params: Mapping, stage: str, names: Iterable[str]) -> dict[str, float]:
    """``training.<stage>.<name>`` for every loss weight name, each checked (finite, >= 0)."""
    cfg = section(params, "training", stage)
    missing = [n for n in names if n not in cfg]
    if missing:
        raise ConfigError(f"training.{stage} lacks {missing}; expected loss weights {list(names)}")
    return {n: check_weight(cfg[n], f"training.{stage}.{n}") for n in names}


CYCLEGAN_ROLES = ("translator", "translator_s2r", "disc_syn", "disc_real")


def load_cyclegan(path: str | Path | None, params: Mapping, *, stage: str) -> dict[str, nn.Module]:
    """The translator stage's CycleGAN: G_r2s (role ``translator``), G_s2r, and both PatchGANs."""
    return {role: load_upstream(path, role, stage=stage, flag="--translator", params=params) for role in CYCLEGAN_ROLES}


def validate_depth(ctx: "StageContext", predict_unit) -> dict[str, float]:
    """Depth metrics of ``predict_unit(rgb) -> [-1, 1] depth`` on real_val (model selection)."""
    from arc.training.data import validation_batches
    from arc.training.validation import evaluate_depth

    val = validation_batches(ctx.data["val"], ctx.batch_size, ctx.runtime.num_workers)
    return evaluate_depth(predict_unit, val, max_depth=ctx.data.max_depth, device=ctx.device)


def build_output_discriminator(params: Mapping) -> nn.Module:
    """A PatchGAN on 1-channel depth maps (output-space adversarial terms), sized like the image PatchGANs."""
    spec = network_spec(params, "disc_syn")
    return build_model(spec["name"], in_channels=1, **spec["kwargs"])


def peer_plan(ctx: "StageContext", *, epochs: int, step_fn, predict, **plan) -> "StagePlan":
    """The StagePlan every peer shares: paired syn + real batches (one pass over the larger set per
    epoch), selection of the best real_val depth metric of ``predict(rgb) -> [-1, 1] depth``.
    ``step_fn(epoch)`` gives the epoch's step; ``plan`` holds the remaining StagePlan fields."""
    from arc.training.runner import StagePlan

    return StagePlan(
        epochs=epochs,
        steps_per_epoch=lambda epoch: ctx.steps_per_epoch,
        batches=lambda epoch: ctx.batches(("syn", "real"), epoch),
        step_fn=step_fn,
        validate=lambda: validate_depth(ctx, predict),
        metric=validation_metric(ctx.params),
        selection="best",
        **plan,
    )
