"""The hooks every stage composes: progress, loss log, NaN guard, validation with
model selection, and the resume checkpoint (on an interval, at the end and on request)."""

from __future__ import annotations

import csv
import io
import math
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

from tqdm import tqdm

from arc.training.loop import Hook, LossRecord, Trainer, TrainingDivergedError
from arc.utils.atomic import atomic_write_text

HIGHER_IS_BETTER = {"delta1", "delta2", "delta3"}


def _fmt(value) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _write_csv(path: Path, columns: list[str], rows: list[Mapping[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    atomic_write_text(path, buf.getvalue())


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


class ProgressHook(Hook):
    """tqdm bar over the stage's steps plus a one-line summary per epoch (for log files)."""

    name = "progress"

    def __init__(self):
        self.bar = None
        self.sums: dict[str, float] = {}
        self.count = 0

    def before_train(self, trainer: Trainer) -> None:
        self.bar = tqdm(total=trainer.total_steps, initial=trainer.state.step, desc=trainer.stage, disable=None, leave=False)

    def before_epoch(self, trainer: Trainer) -> None:
        self.sums, self.count = {}, 0

    def after_losses(self, trainer: Trainer, records: Sequence[LossRecord]) -> None:
        for record in records:  # float64 sums, step by step in step order
            for key, value in record.losses.items():
                self.sums[key] = self.sums.get(key, 0.0) + value
            self.count += 1
        self.bar.update(len(records))
        self.bar.set_postfix({k: f"{v:.4g}" for k, v in records[-1].losses.items()}, refresh=False)

    def epoch_means(self) -> dict[str, float]:
        return {k: v / max(self.count, 1) for k, v in self.sums.items()}

    def after_epoch(self, trainer: Trainer) -> None:
        means = " ".join(f"{k}={v:.4g}" for k, v in self.epoch_means().items())
        tqdm.write(f"[{trainer.stage}] epoch {trainer.state.epoch + 1}/{trainer.epochs} step {trainer.state.step}: {means}")

    def after_train(self, trainer: Trainer) -> None:
        if self.bar is not None:
            self.bar.close()

    def state_dict(self) -> dict:
        # Kept so a stage re-run after completion still reports its last epoch's losses.
        return {"sums": dict(self.sums), "count": self.count}

    def load_state_dict(self, state: dict) -> None:
        self.sums, self.count = dict(state["sums"]), int(state["count"])


class LossLogHook(Hook):
    """log.csv: step, epoch, one column per loss; the rows of each read-back appended.

    The whole file is rewritten (atomically) only when a new loss column appears and on
    resume, where the rows past the resumed step are dropped, so the file equals that of an
    uninterrupted run.
    """

    name = "loss_log"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.columns = ["step", "epoch"]
        self.rows: list[dict[str, str]] = []
        self.written: int | None = None

    def before_train(self, trainer: Trainer) -> None:
        if trainer.state.step > 0 and self.path.is_file():
            columns, rows = _read_csv(self.path)
            self.columns = columns or self.columns
            # A killed writer may leave a cut last line: only whole rows up to the resumed step stay.
            self.rows = [r for r in rows if (r.get("step") or "").isdigit() and int(r["step"]) <= trainer.state.step
                         and None not in r.values()]
            _write_csv(self.path, self.columns, self.rows)
        self.written = len(self.rows) if self.path.is_file() else None  # rows on disk (None: no file yet)

    def after_losses(self, trainer: Trainer, records: Sequence[LossRecord]) -> None:
        new_column = False
        for record in records:
            row = {"step": str(record.step), "epoch": str(record.epoch)}
            for key, value in record.losses.items():
                if key not in self.columns:
                    self.columns.append(key)
                    new_column = True
                row[key] = _fmt(value)
            self.rows.append(row)
        if new_column or self.written is None:
            _write_csv(self.path, self.columns, self.rows)
        else:
            with open(self.path, "a", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=self.columns, lineterminator="\n")
                for row in self.rows[self.written :]:
                    writer.writerow({c: row.get(c, "") for c in self.columns})
        self.written = len(self.rows)


class NaNGuardHook(Hook):
    """Stop at the first non-finite loss, naming stage, step and loss; nothing is saved after it."""

    name = "nan_guard"

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)

    def after_losses(self, trainer: Trainer, records: Sequence[LossRecord]) -> None:
        for record in records:
            for key, value in record.losses.items():
                if not math.isfinite(value):
                    raise TrainingDivergedError(
                        f"stage {trainer.stage!r}: loss {key!r} is {value} at step {record.step} "
                        f"(epoch {record.epoch + 1}); training stopped, {self._kept(trainer)}. Lower optim.lr or check the inputs."
                    )

    def _kept(self, trainer: Trainer) -> str:
        saved = next((h.saved_epoch for h in trainer.hooks if isinstance(h, ResumeCheckpointHook)), None)
        if not saved:
            return "no resume state had been written yet by this stage"
        return f"kept {self.out_dir / 'last.pt'} from epoch {saved} and {self.out_dir / 'checkpoint.pt'} (the selected epoch)"


class ValidationHook(Hook):
    """Evaluate on real_val after every epoch, write val.csv and the selected checkpoint.

    selection "best": checkpoint.pt follows the best value of ``metric``;
    selection "last": checkpoint.pt is the latest epoch (stages whose objective is not the
    depth metric alone: GAN translator/inpainter, the attention temperature schedule).
    """

    name = "validation"

    def __init__(
        self,
        *,
        path: Path,
        validate: Callable[[], dict[str, float]],
        save_selected: Callable[[int, dict[str, float]], None],
        metric: str | None,
        selection: str,
    ):
        if selection not in ("best", "last"):
            raise ValueError(f"selection must be 'best' or 'last', got {selection!r}")
        if selection == "best" and metric is None:
            raise ValueError("selection 'best' needs a metric")
        self.path = Path(path)
        self.validate = validate
        self.save_selected = save_selected
        self.metric = metric
        self.selection = selection
        self.rows: list[dict[str, str]] = []
        self.best_value: float | None = None
        self.best_epoch: int | None = None
        self.best_metrics: dict[str, float] = {}

    def _better(self, value: float) -> bool:
        if self.best_epoch is None:
            return True  # something must be selected, even if the metric is NaN
        if not math.isfinite(value):
            return False
        if self.best_value is None:
            return True
        return value > self.best_value if self.metric in HIGHER_IS_BETTER else value < self.best_value

    def after_epoch(self, trainer: Trainer) -> None:
        metrics = self.validate()
        epoch = trainer.state.epoch + 1
        value = metrics.get(self.metric) if self.metric else None
        selected = self.selection == "last" or (value is not None and self._better(float(value)))
        if selected:
            self.best_value = float(value) if value is not None and math.isfinite(float(value)) else None
            self.best_epoch = epoch
            self.best_metrics = {k: float(v) for k, v in metrics.items()}
            self.save_selected(epoch, self.best_metrics)
        row = {"epoch": str(epoch), "step": str(trainer.state.step)}
        row.update({k: _fmt(float(v)) for k, v in metrics.items()})
        row["selected"] = "1" if selected else "0"
        self.rows.append(row)
        columns = ["epoch", "step", *metrics.keys(), "selected"]
        _write_csv(self.path, columns, self.rows)
        note = f" (selected {self.metric}={value:.4g})" if selected and value is not None else ""
        tqdm.write(f"[{trainer.stage}] val epoch {epoch}: " + " ".join(f"{k}={v:.4g}" for k, v in metrics.items()) + note)

    def state_dict(self) -> dict:
        return {
            "rows": [dict(r) for r in self.rows],
            "best_value": self.best_value,
            "best_epoch": self.best_epoch,
            "best_metrics": dict(self.best_metrics),
        }

    def load_state_dict(self, state: dict) -> None:
        self.rows = [dict(r) for r in state["rows"]]
        self.best_value = state["best_value"]
        self.best_epoch = state["best_epoch"]
        self.best_metrics = dict(state["best_metrics"])


class ResumeCheckpointHook(Hook):
    """Write last.pt (models, optimisers, step, epoch, RNG, hook states) at an epoch end once
    ``every_s`` seconds have passed since the last write (0: every epoch), after the last
    epoch, and after the epoch in which a stop was requested (SIGTERM)."""

    name = "resume_checkpoint"

    def __init__(self, save: Callable[[Trainer], None], every_s: float = 0.0):
        self.save = save
        self.every_s = float(every_s)
        self.saved_epoch: int | None = None  # epochs done at the last write
        self.saved_at = time.monotonic()

    def before_train(self, trainer: Trainer) -> None:
        self.saved_epoch = trainer.state.epoch or None
        self.saved_at = time.monotonic()

    def after_epoch(self, trainer: Trainer) -> None:
        last = trainer.state.epoch + 1 >= trainer.epochs
        due = time.monotonic() - self.saved_at >= self.every_s
        if last or due or trainer.stop_requested:
            self.save(trainer)
            self.saved_epoch, self.saved_at = trainer.state.epoch + 1, time.monotonic()


TIMING_COLUMNS = ["epoch", "wall_s", "compute_s", "data_s", "validation_s", "checkpoint_resume_s", "checkpoint_selected_s",
                  "log_s", "readback_s", "other_hooks_s", "untracked_s", "peak_rss_mb"]


class TimingLog:
    """timing.csv: where each epoch's wall time went (arc.training.loop.EpochTiming), one row per
    epoch, appended. ``compute_s`` is the step functions' host time (on CUDA it includes waits
    for the device only where a step reads a value back); everything else is time outside compute:
    ``data_s`` loader start-up and waits for batches, ``validation_s`` the validation pass (its
    loader start-up included), ``checkpoint_*_s`` the writes of last.pt and checkpoint.pt,
    ``log_s`` log.csv, the progress bar and the epoch line, ``readback_s`` the losses' transfers to
    the host (on CUDA: waiting for the device), ``untracked_s`` the loop itself."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def truncate(self, epochs_done: int) -> None:
        """On resume: keep the rows of the epochs the resume state holds."""
        if not self.path.is_file():
            return
        _, rows = _read_csv(self.path)
        _write_csv(self.path, TIMING_COLUMNS, [r for r in rows if r.get("epoch", "").isdigit() and int(r["epoch"]) < epochs_done])

    def append(self, raw: Mapping[str, float]) -> None:
        hooks = {k[len("hook:"):]: v for k, v in raw.items() if k.startswith("hook:")}
        row = {
            "epoch": int(raw["epoch"]),
            "wall_s": raw["wall_s"],
            "compute_s": raw.get("compute", 0.0),
            "data_s": raw.get("data", 0.0),
            "validation_s": hooks.pop("validation", 0.0),
            "checkpoint_resume_s": raw.get("checkpoint_resume", 0.0),
            "checkpoint_selected_s": raw.get("checkpoint_selected", 0.0),
            "log_s": hooks.pop("loss_log", 0.0) + hooks.pop("progress", 0.0),
            "readback_s": raw.get("readback", 0.0),
            "other_hooks_s": sum(hooks.values()),
            "peak_rss_mb": raw["peak_rss_mb"],
        }
        tracked = sum(v for k, v in row.items() if k.endswith("_s") and k != "wall_s")
        row["untracked_s"] = max(raw["wall_s"] - tracked, 0.0)
        new = not self.path.is_file()
        with open(self.path, "a", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=TIMING_COLUMNS, lineterminator="\n")
            if new:
                writer.writeheader()
            writer.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in row.items()})
