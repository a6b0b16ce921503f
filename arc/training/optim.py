"""Optimisers and learning-rate schedules from ``params["optim"]``.

- ``schedule: paper``        Adam(lr, betas=(0.9, 0.999)), constant lr (ARC Sec. 4.1).
- ``schedule: authors_code`` Adam(lr, betas=(0.5, 0.999)), constant for the first 60 % of a
  stage's steps, then linear decay towards 0 (the authors' public code).
Generators/predictors use ``optim.lr``; discriminators ``optim.lr_discriminator``.

The learning rate is a pure function of the global step, so a resumed stage needs no
scheduler state to continue exactly where it stopped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import torch

from arc.errors import ConfigError
from arc.settings import setting

SCHEDULES = {"paper": 0.9, "authors_code": 0.5}  # schedule -> Adam beta1
CONSTANT_FRACTION = 0.6  # authors_code: share of the steps at the initial lr


def _positive(optim: dict, key: str) -> float:
    value = optim.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"optim.{key} must be a positive number, got {value!r}")
    return float(value)


def check_optim(optim: dict) -> None:
    schedule = setting({"optim": optim}, "optim.schedule")
    if schedule not in SCHEDULES:
        raise ConfigError(f"optim.schedule must be one of {sorted(SCHEDULES)}, got {schedule!r}")
    _positive(optim, "lr")
    _positive(optim, "lr_discriminator")
    batch = optim.get("batch_size")
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ConfigError(f"optim.batch_size must be an integer >= 1, got {batch!r}")


def make_adam(parameters: Iterable[torch.nn.Parameter], optim: dict, *, discriminator: bool = False) -> torch.optim.Adam:
    check_optim(optim)
    lr = _positive(optim, "lr_discriminator" if discriminator else "lr")
    beta1 = SCHEDULES[setting({"optim": optim}, "optim.schedule")]
    return torch.optim.Adam(list(parameters), lr=lr, betas=(beta1, 0.999))


@dataclass(frozen=True)
class LRSchedule:
    """lr multiplier as a function of the stage's global step."""

    schedule: str
    total_steps: int

    def factor(self, step: int) -> float:
        if self.schedule == "paper" or self.total_steps <= 0:
            return 1.0
        constant_steps = int(round(CONSTANT_FRACTION * self.total_steps))
        if step < constant_steps:
            return 1.0
        decay_steps = self.total_steps - constant_steps
        return max(0.0, (self.total_steps - step) / decay_steps)

    def apply(self, optimizer: torch.optim.Optimizer, step: int) -> None:
        factor = self.factor(step)
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
            group["lr"] = group["initial_lr"] * factor


def make_schedule(optim: dict, total_steps: int) -> LRSchedule:
    check_optim(optim)
    return LRSchedule(setting({"optim": optim}, "optim.schedule"), int(total_steps))
