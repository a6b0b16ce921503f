"""One writer per stage folder, published only complete; checkpoints and resume states checked on load."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
import yaml

from arc.errors import CheckpointError
from arc.training.loop import Hook
from arc.training.runner import STAGE_FILES, work_dir
from arc.training.stages import get_stage
from arc.utils.folderlock import FolderBusy, lock_path, own_folder
from conftest_training import REPO, make_tiny_cache, tiny_params


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("writers")
    cache = make_tiny_cache(root / "cache")
    params = tiny_params()
    params["training"]["depth"]["epochs"] = 2
    params_path = root / "params.yaml"
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))
    return root, cache, params, params_path


def _train_cmd(cache, params_path, out):
    return [sys.executable, "-m", "arc.cli", "train", "depth", "--params", str(params_path), "--data", str(cache),
            "--source", "mix", "--seed", "0", "--out", str(out)]


def _env():
    return {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


def _start_writing(cache, params_path, out):
    """An `arc train` whose work folder exists (it holds the folder's lock from then on)."""
    proc = subprocess.Popen(_train_cmd(cache, params_path, out), env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    _wait_for(work_dir(out), proc)
    return proc


def _wait_for(path, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[0][-3000:]
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)


def test_second_arc_train_on_one_folder_is_refused_and_the_first_publishes_complete(setup):
    root, cache, params, params_path = setup
    out = root / "two-writers"
    first = _start_writing(cache, params_path, out)
    os.kill(first.pid, signal.SIGSTOP)  # the first writer is mid-run for as long as the second needs
    try:
        second = subprocess.run(_train_cmd(cache, params_path, out), env=_env(), capture_output=True, text=True,
                                timeout=300)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    first_out = first.communicate(timeout=300)[0]
    assert second.returncode == 2, second.stderr[-3000:]
    lines = [line for line in second.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and f"{out} is being written by pid {first.pid} on " in lines[0], second.stderr[-3000:]
    assert first.returncode == 0, first_out[-3000:]
    assert sorted(p.name for p in out.iterdir() if p.name in STAGE_FILES) == sorted(STAGE_FILES)
    assert not lock_path(out).exists() and not work_dir(out).exists()


def test_a_killed_writer_leaves_no_lock_and_the_rerun_completes(setup):
    root, cache, params, params_path = setup
    out = root / "killed-writer"
    first = _start_writing(cache, params_path, out)
    first.kill()
    first.wait()
    assert lock_path(out).exists()  # left behind, but the kernel dropped its flock with the process
    summary = get_stage("depth").run(params, data_dir=cache, seed=0, out_dir=out, source="mix")
    assert summary["epochs"] == 2 and (out / "checkpoint.pt").is_file()


def test_a_held_folder_refuses_the_stage_in_process(setup, tmp_path):
    root, cache, params, _ = setup
    out = tmp_path / "held"
    with own_folder(out):
        with pytest.raises(FolderBusy, match=f"{out} is being written by pid {os.getpid()} on "):
            get_stage("depth").run(params, data_dir=cache, seed=0, out_dir=out, source="mix")
    assert not out.exists() and not work_dir(out).exists()


class _LoseCheckpoint(Hook):
    name = "lose"

    def after_train(self, trainer) -> None:
        for path in trainer_dirs:
            (path / "checkpoint.pt").unlink()


trainer_dirs: list = []


def test_a_stage_without_its_checkpoint_is_not_published(setup, tmp_path):
    root, cache, params, _ = setup
    out = tmp_path / "incomplete"
    trainer_dirs[:] = [work_dir(out)]
    with pytest.raises(CheckpointError, match=r"training ended without checkpoint\.pt; the stage is not published"):
        get_stage("depth").run(params, data_dir=cache, seed=0, out_dir=out, source="mix", hooks=[_LoseCheckpoint()])
    assert not out.exists()


def _flip_a_weight_bit(path):
    """One bit inside tensor data: the middle of the largest tensor record of the checkpoint's zip archive."""
    import struct
    import zipfile

    with zipfile.ZipFile(path) as archive:
        record = max((info for info in archive.infolist() if "/data/" in info.filename), key=lambda info: info.file_size)
    data = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack("<HH", data[record.header_offset + 26:record.header_offset + 30])
    start = record.header_offset + 30 + name_len + extra_len
    data[start + record.file_size // 2] ^= 0x10
    path.write_bytes(bytes(data))


def test_a_flipped_bit_in_checkpoint_is_named_with_the_way_out(setup, tmp_path):
    from arc.training.checkpoint import load_pipeline

    root, cache, params, _ = setup
    out = tmp_path / "flip"
    get_stage("depth").run(params, data_dir=cache, seed=1, out_dir=out, source="mix")
    load_pipeline(out)  # intact: loads
    _flip_a_weight_bit(out / "checkpoint.pt")
    with pytest.raises(CheckpointError) as info:
        load_pipeline(out)
    message = str(info.value)
    assert "checkpoint.pt does not match the checksum written with it" in message
    assert f"delete {out} and rerun the stage" in message and "\n" not in message


def test_a_flipped_bit_in_last_pt_is_not_resumed(setup, tmp_path):
    root, cache, params, _ = setup
    out = tmp_path / "flip-last"
    get_stage("depth").run(params, data_dir=cache, seed=1, out_dir=out, source="mix")
    _flip_a_weight_bit(out / "last.pt")
    with pytest.raises(CheckpointError, match=r"last\.pt does not match the checksum .* delete .*last\.pt \(or pass "
                                              r"--no-resume\)"):
        get_stage("depth").run(params, data_dir=cache, seed=1, out_dir=out, source="mix")
