"""The trainer loop, its hooks and model selection, without networks."""

from __future__ import annotations

import csv

import pytest

from arc.training.hooks import LossLogHook, ValidationHook
from arc.training.loop import Hook, Trainer


class Recorder(Hook):
    def __init__(self, events):
        self.events = events

    def before_epoch(self, trainer):
        self.events.append(("before_epoch", trainer.state.epoch))

    def after_step(self, trainer):
        self.events.append(("after_step", trainer.state.step))

    def after_epoch(self, trainer):
        self.events.append(("after_epoch", trainer.state.epoch))


def _trainer(hooks, epochs=2, per_epoch=2, losses=None):
    def step(batch, state):
        return {"total": (losses or {}).get(state.step, 1.0 / (state.step + 1))}

    return Trainer(
        stage="toy",
        epochs=epochs,
        steps_per_epoch=lambda e: per_epoch,
        batches=lambda e: [{"i": i} for i in range(per_epoch)],
        step_fn=lambda e: step,
        hooks=hooks,
    )


def test_hook_order_and_counters():
    events = []
    trainer = _trainer([Recorder(events)])
    assert trainer.total_steps == 4
    state = trainer.train()
    assert (state.epoch, state.step) == (2, 4)
    assert events == [
        ("before_epoch", 0), ("after_step", 1), ("after_step", 2), ("after_epoch", 0),
        ("before_epoch", 1), ("after_step", 3), ("after_step", 4), ("after_epoch", 1),
    ]


@pytest.mark.parametrize(
    "metric, values, expected_epoch",
    [
        ("rms_log", [0.5, 0.3, 0.4], 2),  # lower is better
        ("delta1", [0.5, 0.3, 0.7], 3),  # higher is better
        ("rms_log", [float("nan"), 0.9, 0.95], 2),  # NaN is selected only while nothing else is
    ],
)
def test_validation_selects_best_epoch(tmp_path, metric, values, expected_epoch):
    saved = []
    values_iter = iter(values)
    hook = ValidationHook(
        path=tmp_path / "val.csv",
        validate=lambda: {metric: next(values_iter)},
        save_selected=lambda epoch, metrics: saved.append(epoch),
        metric=metric,
        selection="best",
    )
    _trainer([hook], epochs=3).train()
    assert hook.best_epoch == expected_epoch and saved[-1] == expected_epoch
    with open(tmp_path / "val.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["selected"]) for r in rows].count(1) == len(saved)


def test_loss_log_has_one_row_per_step(tmp_path):
    hook = LossLogHook(tmp_path / "log.csv")
    _trainer([hook], epochs=2, per_epoch=3).train()
    with open(tmp_path / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [int(r["epoch"]) for r in rows] == [0, 0, 0, 1, 1, 1]
    assert float(rows[0]["total"]) == 1.0
