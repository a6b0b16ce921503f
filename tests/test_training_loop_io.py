"""What the training loop does outside compute: losses read back every N steps (the same logged
numbers as one read per step), last.pt on a time interval, at the end and on SIGTERM, timing.csv,
loaders built once per stage, and the authors' mask buffer in the resume state."""

from __future__ import annotations

import copy
import csv
import os
import signal
import time

import pytest
import torch

from arc.training.data import BatchStream, validation_batches
from arc.training.hooks import TIMING_COLUMNS, LossLogHook, ProgressHook, ResumeCheckpointHook
from arc.training.loop import Hook, StopTraining, Trainer, read_back
from arc.training.mask_pool import MaskPool
from arc.training.runner import work_dir
from conftest_training import make_tiny_cache, tiny_params


def _toy(hooks, *, epochs=2, per_epoch=5, readback_every=1):
    def step(batch, state):  # float32 device tensors, as the stages return them
        x = torch.tensor(1.0 / (state.step + 3), dtype=torch.float32)
        return {"total": x * 3, "part": x.sqrt(), "phase": 14}

    return Trainer(stage="toy", epochs=epochs, steps_per_epoch=lambda e: per_epoch,
                   batches=lambda e: [{"i": i} for i in range(per_epoch)], step_fn=lambda e: step,
                   hooks=hooks, readback_every=readback_every)


def test_read_back_gives_float_of_each_tensor():
    values = [torch.tensor(0.1, dtype=torch.float32), torch.tensor(1 / 3, dtype=torch.bfloat16), torch.tensor(2.5)]
    records = read_back([(1, 0, {"a": values[0], "b": values[1]}), (2, 0, {"a": values[2], "n": 7})])
    assert records[0].losses == {"a": float(values[0]), "b": float(values[1])}
    assert records[1].losses == {"a": 2.5, "n": 7.0} and (records[1].step, records[1].epoch) == (2, 0)


@pytest.mark.parametrize("every", [2, 3, 50])
def test_loss_log_and_epoch_means_do_not_depend_on_the_readback_interval(tmp_path, every):
    logs = {}
    for n in (1, every):
        progress, log = ProgressHook(), LossLogHook(tmp_path / f"log{n}.csv")
        _toy([progress, log], readback_every=n).train()
        logs[n] = ((tmp_path / f"log{n}.csv").read_bytes(), progress.epoch_means())
    assert logs[every] == logs[1]
    rows = list(csv.DictReader(open(tmp_path / "log1.csv")))
    assert [int(r["step"]) for r in rows] == list(range(1, 11)) and rows[0]["phase"] == "14.0"
    assert float(rows[0]["total"]) == float(torch.tensor(1.0 / 3, dtype=torch.float32) * 3)


def test_loss_log_appends_and_rewrites_only_for_a_new_column(tmp_path):
    path = tmp_path / "log.csv"

    class Watch(Hook):
        name = "watch"

        def __init__(self):
            self.inodes = set()

        def after_epoch(self, trainer):
            self.inodes.add(os.stat(path).st_ino)

    watch = Watch()
    _toy([LossLogHook(path), watch], epochs=3, readback_every=2).train()
    assert len(watch.inodes) == 1  # appended in place, never replaced
    assert len(list(csv.DictReader(open(path)))) == 15


class _Saves:
    def __init__(self):
        self.epochs = []

    def __call__(self, trainer):
        self.epochs.append(trainer.state.epoch + 1)


@pytest.mark.parametrize("every_s, expected", [(0, [1, 2, 3, 4]), (3600, [4])])
def test_resume_state_on_an_interval_and_always_at_the_end(every_s, expected):
    saves = _Saves()
    _toy([ResumeCheckpointHook(saves, every_s=every_s)], epochs=4).train()
    assert saves.epochs == expected


def test_stop_request_finishes_the_epoch_writes_last_and_stops():
    saves = _Saves()

    class RequestStop(Hook):  # what the SIGTERM handler does, in the middle of epoch 2
        def after_step(self, trainer):
            if trainer.state.step == 7:
                trainer.stop_requested = True

    trainer = _toy([ResumeCheckpointHook(saves, every_s=3600), RequestStop()], epochs=4)
    with pytest.raises(StopTraining, match="after epoch 2"):
        trainer.train()
    assert saves.epochs == [2] and trainer.state.step == 10


def test_batch_stream_builds_one_loader_and_keeps_the_order(tmp_path):
    cache = make_tiny_cache(tmp_path / "cache")
    from arc.data.dataset import DepthDataset

    dataset = DepthDataset(cache / "syn_train")
    stream = BatchStream(dataset, 2, seed=5, name="syn")
    first = [b["index"].tolist() for b in stream.epoch(0)]
    loader = stream._loader
    again = [b["index"].tolist() for b in stream.epoch(0)]
    other = [b["index"].tolist() for b in stream.epoch(1)]
    assert first == again == stream.batch_indices(0, 0) and other == stream.batch_indices(1, 0) and first != other
    assert stream._loader is loader
    rng = torch.get_rng_state()
    list(stream.epoch(2))
    assert torch.equal(rng, torch.get_rng_state())  # the loader draws nothing from the global RNG
    assert validation_batches(dataset, 2) is validation_batches(dataset, 2)


# --- a stage: timing.csv, SIGTERM, and the mask buffer in last.pt ---------------------------------


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    from arc.training.stages import attention, depth

    root = tmp_path_factory.mktemp("loop_io")
    cache, params = make_tiny_cache(root / "cache", height=48, width=64), tiny_params()
    params["models"]["vgg"] = {"arch": "vgg19", "weights": None, "fallback": "random"}
    params["training"]["inpainting"]["losses"] = "authors"
    params["training"]["inpainting"]["epochs"] = 3
    depth.run(params, data_dir=cache, seed=0, out_dir=root / "mix", source="mix")
    attention.run(params, data_dir=cache, seed=0, out_dir=root / "att", depth=root / "mix" / "checkpoint.pt")
    return cache, root, params


def test_sigterm_ends_the_stage_after_the_epoch_with_last_pt(upstream):
    from arc.training.stages import depth

    cache, root, params = upstream
    params = copy.deepcopy(params)
    params["training"]["depth"]["epochs"] = 3
    params["runtime"]["resume_every_s"] = 3600

    class Term(Hook):
        name = "term"

        def after_step(self, trainer):
            if trainer.state.step == 1:
                os.kill(os.getpid(), signal.SIGTERM)

    out = root / "term"
    with pytest.raises(StopTraining):
        depth.run(params, data_dir=cache, seed=1, out_dir=out, source="mix", hooks=[Term()])
    last = torch.load(work_dir(out) / "last.pt", weights_only=True)
    assert last["epochs_done"] == 1
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is the stage's only
    summary = depth.run(params, data_dir=cache, seed=1, out_dir=out, source="mix")
    assert summary["resumed_from_epoch"] == 1
    with open(out / "timing.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == TIMING_COLUMNS and [r["epoch"] for r in rows] == ["0", "1", "2"]
    for row in rows:
        parts = sum(float(row[c]) for c in TIMING_COLUMNS if c.endswith("_s") and c != "wall_s")
        assert float(row["compute_s"]) > 0 and parts == pytest.approx(float(row["wall_s"]), abs=2e-3)


class KillAfter(Hook):
    name = "kill"

    def __init__(self, steps):
        self.steps, self.seen = steps, 0

    def after_step(self, trainer):
        self.seen += 1
        if self.seen == self.steps:
            raise StopTraining("killed")


def test_the_mask_buffer_is_in_the_resume_state(upstream, monkeypatch):
    """A buffer smaller than the masks of one epoch: full before the kill, so the resumed run draws
    from the stored masks; it ends bit-identical only because last.pt holds them."""
    from arc.training.stages import inpainting

    cache, root, params = upstream
    monkeypatch.setattr(inpainting, "MaskPool", lambda: MaskPool(3))
    kwargs = dict(data_dir=cache, seed=0, attention=root / "att" / "checkpoint.pt")
    inpainting.run(params, out_dir=root / "inp_full", **kwargs)
    with pytest.raises(StopTraining):
        inpainting.run(params, out_dir=root / "inp_killed", hooks=[KillAfter(3)], **kwargs)
    state = torch.load(work_dir(root / "inp_killed") / "last.pt", weights_only=True)["hooks"]["mask_pool"]
    assert state["count"] == 3 and state["masks"].shape[0] == 3 and state["masks"].dtype == torch.bool
    summary = inpainting.run(params, out_dir=root / "inp_killed", **kwargs)
    assert summary["resumed_from_epoch"] == 1
    full = torch.load(root / "inp_full" / "last.pt", weights_only=True)
    killed = torch.load(root / "inp_killed" / "last.pt", weights_only=True)
    assert torch.equal(full["hooks"]["mask_pool"]["masks"], killed["hooks"]["mask_pool"]["masks"])
    for role, record in full["modules"].items():
        for key, tensor in record["state_dict"].items():
            assert torch.equal(tensor, killed["modules"][role]["state_dict"][key]), (role, key)
    assert (root / "inp_full" / "log.csv").read_bytes() == (root / "inp_killed" / "log.csv").read_bytes()


def test_max_steps_per_epoch_caps_every_epoch(upstream):
    from arc.errors import ConfigError
    from arc.training.stages import depth

    cache, root, params = upstream
    params = copy.deepcopy(params)
    params["training"]["depth"]["epochs"] = 2
    params["training"]["max_steps_per_epoch"] = 1
    summary = depth.run(params, data_dir=cache, seed=2, out_dir=root / "capped", source="mix")
    assert summary["steps"] == 2
    params["training"]["max_steps_per_epoch"] = 0
    with pytest.raises(ConfigError, match="training.max_steps_per_epoch = 0"):
        depth.run(params, data_dir=cache, seed=2, out_dir=root / "capped0", source="mix")


def test_a_background_write_is_joined_and_its_error_reaches_the_caller(tmp_path):
    from arc.utils.background_writer import BackgroundWriter

    writer, order = BackgroundWriter(), []
    writer.submit(lambda: (time.sleep(0.2), order.append("first")))
    writer.submit(lambda: order.append("second"))  # waits for the first
    writer.wait()
    assert order == ["first", "second"]

    def fail():
        raise OSError("disk full")

    writer.submit(fail)
    with pytest.raises(OSError, match="disk full"):
        writer.wait()
    writer.wait()  # the error is raised once
