"""A small trainer loop with hooks (detectron2 style).

The loop only iterates: epochs -> batches -> one step function. Everything else
(progress bar, loss log, NaN guard, validation + model selection, resume
checkpoints) is a hook with before/after train/epoch/step callbacks, composed
per stage. Hooks that carry state across a resume expose state_dict() /
load_state_dict() with primitive values only (checkpoints load with
``torch.load(weights_only=True)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

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


StepFn = Callable[[Mapping, TrainState], dict[str, float]]


class Hook:
    """Base class: override the callbacks you need; each receives the trainer."""

    name = "hook"

    def before_train(self, trainer: "Trainer") -> None: ...
    def after_train(self, trainer: "Trainer") -> None: ...
    def before_epoch(self, trainer: "Trainer") -> None: ...
    def after_epoch(self, trainer: "Trainer") -> None: ...
    def before_step(self, trainer: "Trainer") -> None: ...
    def after_step(self, trainer: "Trainer") -> None: ...

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        return None


class Trainer:
    """Runs ``step_fn`` over ``batches(epoch)`` for epochs [state.epoch, epochs)."""

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
    ):
        self.stage = stage
        self.epochs = int(epochs)
        self.steps_per_epoch = steps_per_epoch
        self.batches = batches
        self.step_fn = step_fn  # epoch -> step function (stages may alternate phases per epoch)
        self.hooks = list(hooks)
        self.state = state or TrainState()

    @property
    def total_steps(self) -> int:
        return sum(self.steps_per_epoch(e) for e in range(self.epochs))

    def _call(self, event: str) -> None:
        for hook in self.hooks:
            getattr(hook, event)(self)

    def train(self) -> TrainState:
        self._call("before_train")
        while self.state.epoch < self.epochs:
            step = self.step_fn(self.state.epoch)
            self._call("before_epoch")
            for batch in self.batches(self.state.epoch):
                self._call("before_step")
                self.state.losses = step(batch, self.state)
                self.state.step += 1
                self._call("after_step")
            self._call("after_epoch")
            self.state.epoch += 1
        self._call("after_train")
        return self.state
