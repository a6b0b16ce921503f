"""Every test starts without params.local.yaml: a developer's own dataset locations (which every
params loader merges) must not change what the tests check. Tests of the local file set
ARC_PARAMS_LOCAL to the file they write."""

from collections import namedtuple

import pytest

PLENTY_OF_DISK = namedtuple("usage", "total used free")(2**50, 0, 2**50)


@pytest.fixture(autouse=True)
def _no_local_params(monkeypatch):
    monkeypatch.setenv("ARC_PARAMS_LOCAL", "")


@pytest.fixture
def plenty_of_disk(monkeypatch):
    """`arc config validate` refuses a paper preset whose decoded cache (KITTI's: about 10 GiB) does not
    fit the disk; tests of the other checks must not pass or fail with the machine's free space.
    The disk check itself: tests/test_config_preflight.py::test_disk_space_for_the_cache."""
    monkeypatch.setattr("arc.preflight.shutil.disk_usage", lambda _path: PLENTY_OF_DISK)


def pytest_collection_modifyitems(session, config, items):
    import background_runs

    if any(item.nodeid == background_runs.DVC_SMOKE_TEST for item in items):
        background_runs.start_dvc_smoke()


def pytest_sessionfinish(session, exitstatus):
    import background_runs

    background_runs.stop_and_clean()
