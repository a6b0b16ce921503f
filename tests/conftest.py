"""Every test starts without params.local.yaml: a developer's own dataset locations (which every
params loader merges) must not change what the tests check. Tests of the local file set
ARC_PARAMS_LOCAL to the file they write."""

import pytest


@pytest.fixture(autouse=True)
def _no_local_params(monkeypatch):
    monkeypatch.setenv("ARC_PARAMS_LOCAL", "")


def pytest_collection_modifyitems(session, config, items):
    import background_runs

    if any(item.nodeid == background_runs.DVC_SMOKE_TEST for item in items):
        background_runs.start_dvc_smoke()


def pytest_sessionfinish(session, exitstatus):
    import background_runs

    background_runs.stop_and_clean()
