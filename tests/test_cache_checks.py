"""Cache arrays carry a checksum written with them; a changed, empty or cut array and a full disk are one line."""

from __future__ import annotations

import json
import shutil
from collections import namedtuple

import numpy as np
import pytest

from arc.data import cache as cache_module
from arc.data.cache import open_cache, write_cache
from arc.errors import DataError

Record = namedtuple("Record", "name rgb depth extras")


def _records(count=3, height=8, width=10):
    rng = np.random.default_rng(0)
    for i in range(count):
        yield Record(f"s{i}", rng.integers(0, 255, (height, width, 3), dtype=np.uint8),
                     rng.uniform(0.5, 9.0, (height, width)).astype(np.float32), {})


def _write(out):
    return write_cache(out, _records(), count=3, benchmark="b", dataset="tiny", family="indoor", domain="real",
                       split="real_test", height=8, width=10)


def test_the_manifest_records_each_array_checksum_and_an_intact_split_opens(tmp_path):
    split = _write(tmp_path / "real_test")
    assert set(split.manifest["sha256"]) == {"rgb", "depth"}
    assert open_cache(tmp_path / "real_test").depth.shape == (3, 8, 10)


def test_changed_bytes_in_an_array_are_named_with_the_way_out(tmp_path):
    out = tmp_path / "real_test"
    _write(out)
    data = bytearray((out / "depth.npy").read_bytes())
    data[-7] ^= 0x01
    (out / "depth.npy").write_bytes(bytes(data))
    with pytest.raises(DataError) as info:
        open_cache(out)
    message = str(info.value)
    assert message.startswith(f"{out / 'depth.npy'}: does not match the checksum in {out / 'manifest.json'}")
    assert f"delete {out} and rerun the stage that builds it" in message and "\n" not in message


@pytest.mark.parametrize("checksum", [True, False])
def test_an_empty_array_is_one_clear_line_not_an_eoferror(tmp_path, checksum):
    out = tmp_path / "real_test"
    _write(out)
    if not checksum:  # a cache from before checksums: the reader itself must say it
        manifest = json.loads((out / "manifest.json").read_text())
        del manifest["sha256"]
        (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "rgb.npy").write_bytes(b"")
    with pytest.raises(DataError, match="does not match the checksum" if checksum else "an empty or cut file"):
        open_cache(out)


def test_a_cache_build_checks_free_space_first(tmp_path, monkeypatch):
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(cache_module.shutil, "disk_usage", lambda path: usage._replace(free=1000))
    with pytest.raises(DataError, match=rf"{tmp_path / 'real_test'}: 1000 bytes free on its disk; the cache split real_test needs \d+\.\d\d KiB\. Free some space"):
        _write(tmp_path / "real_test")
    assert not (tmp_path / "real_test").exists()


def test_a_disk_that_fills_up_during_the_build_is_named_not_a_sigbus(tmp_path, monkeypatch):
    """The arrays' blocks are reserved before the memory map is written (here the reservation fails)."""
    import errno
    import os

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(cache_module.os, "posix_fallocate", full)
    with pytest.raises(DataError, match=rf"{tmp_path / 'real_test' / 'rgb.npy'}: the disk is full \(848 bytes needed for this array\)"):
        _write(tmp_path / "real_test")
    assert not (tmp_path / "real_test").exists()
