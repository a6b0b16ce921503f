"""A small trainer loop with hooks (detectron2 style).

The loop only iterates: epochs -> batches -> one step function. Everything else
(progress bar, loss log, NaN guard, validation + model selection, resume
checkpoints) is a hook with before/after train/epoch/step callbacks, composed
per stage. A step function returns its losses as 0-dim tensors (or numbers); they stay
on the device and are read back in one transfer every ``readback_every`` steps and at
every epoch end, before ``after_epoch``: hooks that need the values get them in
``after_losses`` (one record per step, in step order), so a step never waits for the
device. Hooks that carry state across a resume expose state_dict() /
load_state_dict() with primitive values only (checkpoints load with
``torch.load(weights_only=True)``).
"""

from __future__ import annotations

import contextlib
import resource
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import torch

from arc.errors import ArcError


class TrainingDivergedError(ArcError):
    """A loss became NaN/inf; the stage stopped and kept its last good checkpoint."""


class StopTraining(Exception):
    """Raised by a hook to interrupt a stage (used to simulate a kill in tests)."""


@dataclass
class TrainState:
    epoch: int = 0  # index of the current epoch (== epochs completed between epochs)
    step: int = 0  # optimisation steps completed over the whole stage
    losses: dict[str, float] = field(default_factory=dict)  # the latest step's losses


StepFn = Callable[[Mapping, TrainState], dict[str, "torch.Tensor | float"]]


@dataclass(frozen=True)
class LossRecord:
    """One step's losses, read back to the host."""

    step: int  # state.step after the step (1-based)
    epoch: int
    losses: dict[str, float]


def read_back(pending: Sequence[tuple[int, int, Mapping[str, "torch.Tensor | float"]]]) -> list[LossRecord]:
    """Every tensor of ``pending`` in one device-to-host transfer; the values are exactly
    ``float(tensor)`` (float32 and bf16 convert to float64 without rounding)."""
    tensors = [v for _, _, losses in pending for v in losses.values() if torch.is_tensor(v)]
    values = iter(())
    if tensors:
        with torch.no_grad():
            device = tensors[0].device
            values = iter(torch.stack([t.detach().reshape(()).to(device, torch.float64) for t in tensors]).tolist())
    return [
        LossRecord(step, epoch, {k: next(values) if torch.is_tensor(v) else float(v) for k, v in losses.items()})
        for step, epoch, losses in pending
    ]


class EpochTiming:
    """Seconds of one epoch by kind: ``compute`` (the step functions), ``data`` (building the
    loaders and waiting for batches) and one entry per hook (``hook:<name>``). Measures are
    exclusive: a measure inside another (a checkpoint write inside the validation hook) is
    counted once, under the inner name, so the entries add up to at most the epoch's wall time."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.start = time.perf_counter()
        self._inner: list[float] = []

    @contextlib.contextmanager
    def measure(self, what: str) -> Iterator[None]:
        start = time.perf_counter()
        self._inner.append(0.0)
        try:
            yield
        finally:
            inner = self._inner.pop()
            total = time.perf_counter() - start
            self.seconds[what] += total - inner
            if self._inner:
                self._inner[-1] += total

    def row(self, epoch: int) -> dict[str, float]:
        """The epoch's record: wall seconds, every measured kind, and the process's peak memory."""
        wall = time.perf_counter() - self.start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
        return {"epoch": epoch, "wall_s": wall, **dict(self.seconds), "peak_rss_mb": peak_mb}


class Hook:
    """Base class: override the callbacks you need; each receives the trainer."""

    name = "hook"

    def before_train(self, trainer: "Trainer") -> None: ...
    def after_train(self, trainer: "Trainer") -> None: ...
    def before_epoch(self, trainer: "Trainer") -> None: ...
    def after_epoch(self, trainer: "Trainer") -> None: ...
    def before_step(self, trainer: "Trainer") -> None: ...
    def after_step(self, trainer: "Trainer") -> None: ...
    def after_losses(self, trainer: "Trainer", records: Sequence[LossRecord]) -> None: ...

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        return None


class Trainer:
    """Runs ``step_fn`` over ``batches(epoch)`` for epochs [state.epoch, epochs).

    ``stop_requested`` (set from a signal handler) ends the stage after the current epoch:
    its ``after_epoch`` hooks run (the resume checkpoint sees it and writes last.pt), then
    ``StopTraining`` is raised."""

    def __init__(
        self,
        *,
        stage: str,
        epochs: int,
        steps_per_epoch: Callable[[int], int],
        batches: Callable[[int], Iterable[Mapping]],
        step_fn: Callable[[int], StepFn],
        hooks: Sequence[Hook],
        state: TrainState | None = None,
        on_epoch_timing: Callable[[dict[str, float]], None] | None = None,
        readback_every: int = 1,
    ):
        self.stage = stage
        self.epochs = int(epochs)
        self.steps_per_epoch = steps_per_epoch
        self.batches = batches
        self.step_fn = step_fn  # epoch -> step function (stages may alternate phases per epoch)
        self.hooks = list(hooks)
        self.state = state or TrainState()
        self.timing = EpochTiming()
        self.on_epoch_timing = on_epoch_timing  # receives EpochTiming.row() after every epoch
        self.readback_every = max(int(readback_every), 1)
        self.pending: list[tuple[int, int, Mapping]] = []  # steps whose losses are still on the device
        self.stop_requested = False

    @property
    def total_steps(self) -> int:
        return sum(self.steps_per_epoch(e) for e in range(self.epochs))

    def _call(self, event: str) -> None:
        for hook in self.hooks:
            with self.timing.measure(f"hook:{hook.name}"):
                getattr(hook, event)(self)

    def flush_losses(self) -> None:
        """Read the pending losses back and hand them to every hook's ``after_losses``."""
        if not self.pending:
            return
        with self.timing.measure("readback"):
            records = read_back(self.pending)
        self.pending = []
        for hook in self.hooks:
            with self.timing.measure(f"hook:{hook.name}"):
                hook.after_losses(self, records)

    def _next_batch(self, batches: Iterator[Mapping]) -> Mapping | None:
        with self.timing.measure("data"):
            return next(batches, None)

    def train(self) -> TrainState:
        self._call("before_train")
        while self.state.epoch < self.epochs:
            self.timing.reset()
            step = self.step_fn(self.state.epoch)
            self._call("before_epoch")
            with self.timing.measure("data"):
                batches = iter(self.batches(self.state.epoch))
            while (batch := self._next_batch(batches)) is not None:
                self._call("before_step")
                with self.timing.measure("compute"):
                    self.state.losses = step(batch, self.state)
                self.state.step += 1
                self.pending.append((self.state.step, self.state.epoch, self.state.losses))
                if len(self.pending) >= self.readback_every:
                    self.flush_losses()
                self._call("after_step")
            self.flush_losses()
            self._call("after_epoch")
            self.state.epoch += 1
            if self.on_epoch_timing is not None:
                self.on_epoch_timing(self.timing.row(self.state.epoch - 1))
            if self.stop_requested and self.state.epoch < self.epochs:
                raise StopTraining(f"stage {self.stage!r}: stopped on request after epoch {self.state.epoch} (resume state written)")
        self._call("after_train")
        return self.state
