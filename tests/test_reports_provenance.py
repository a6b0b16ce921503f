"""reports/<name>.provenance.json: what a report and the runs behind it ran on, beside (not inside) the report."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from arc.errors import DataError
from arc.reports import cli as report_cli
from arc.reports.provenance import sidecar_path, summarise_runs
from arc.utils.entrypoint import run_cli

try:
    from tests.test_evaluation_fakes import uniform_metrics, write_fake_run
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from test_evaluation_fakes import uniform_metrics, write_fake_run

ROOT = Path(__file__).resolve().parents[1]
B = "synthrooms-indoor"
PARAMS = {
    "benchmark": B,
    "rho": 0.85,
    "rows": {"real_only": {"label": "real only", "modules": []}, "mix": {"label": "mix training", "modules": []}},
    "evaluation": {"protocol": B},
}
MACHINE = {"torch": "2.0.0", "python": "3.11.0", "machine": "x86_64", "cpu_capability": "AVX2", "threads": 1,
           "device": "cpu", "precision": "fp32", "commit": "a" * 40}
OTHER_MACHINE = {**MACHINE, "cpu_capability": "AVX512", "threads": 4}
METHODS = ["real_only", "mix"]  # SynthRooms' default rows add the oracles, which this tree lacks
REPORT_KEYS = {"torch", "cpu_capability", "threads", "precision", "commit"}


@pytest.fixture
def tree(tmp_path):
    """results/<B>/seed<S>/<method>/metrics.json pointing at runs/<B>/seed<S>/<method>/checkpoint.pt."""
    results = tmp_path / "results" / B
    for i, method in enumerate(METHODS):
        for seed in (0, 1):
            path = write_fake_run(results, method, seed, metrics=uniform_metrics(0.1 * (i + 1) + 0.01 * seed))
            run = tmp_path / "runs" / B / f"seed{seed}" / method
            run.mkdir(parents=True)
            info = json.loads((path / "metrics.json").read_text())
            (path / "metrics.json").write_text(json.dumps({**info, "checkpoint": str(run / "checkpoint.pt")}))
            if (method, seed) == ("real_only", 1):
                continue  # a run trained before summary.json carried provenance
            record = OTHER_MACHINE if seed == 1 else MACHINE
            (run / "summary.json").write_text(json.dumps({"stage": "depth", "provenance": record}))
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(PARAMS))
    return tmp_path, results, params


def _run_dirs(tmp_path, *names):
    return sorted(str(tmp_path / "runs" / B / name) for name in names)


def test_report_script_writes_the_sidecar_with_its_own_and_its_runs_provenance(tree):
    tmp_path, results, params = tree
    out = tmp_path / "reports" / "table2.csv"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, str(ROOT / "workflow/scripts/report_table.py"), "--params", str(params),
                    "--results", str(results), "--methods", *METHODS, "--out", str(out)], cwd=ROOT, env=env, check=True, capture_output=True)

    sidecar = json.loads((tmp_path / "reports" / "table2.provenance.json").read_text())
    assert sidecar["report"] == "table2.csv"
    process = sidecar["report_process"]
    assert REPORT_KEYS <= set(process)
    assert process["precision"] == "fp32" and process["threads"] == 1
    assert process["commit"] == "unknown" or re.fullmatch(r"[0-9a-f]{40}", process["commit"])
    # One entry per distinct machine record, naming the runs that share it.
    assert [g["provenance"] for g in sidecar["runs"]] == sorted([MACHINE, OTHER_MACHINE], key=lambda r: json.dumps(r, sort_keys=True))
    by_capability = {g["provenance"]["cpu_capability"]: g["runs"] for g in sidecar["runs"]}
    assert by_capability == {"AVX2": _run_dirs(tmp_path, "seed0/mix", "seed0/real_only"),
                             "AVX512": _run_dirs(tmp_path, "seed1/mix")}
    assert sidecar["runs_without_provenance"] == _run_dirs(tmp_path, "seed1/real_only")


def test_report_files_are_the_same_bytes_with_and_without_the_sidecar(tree, monkeypatch):
    tmp_path, results, params = tree

    def report(folder):
        argv = ["--params", str(params), "--results", str(results), "--methods", *METHODS,
                "--out", str(tmp_path / folder / "table2.csv")]
        assert run_cli(report_cli.add_table_arguments, report_cli.run_table, "", argv) == 0
        return {p.name: p.read_bytes() for p in (tmp_path / folder).iterdir()}

    with_sidecar = report("with")
    monkeypatch.setattr(report_cli, "write_report_provenance", lambda *args, **kwargs: None)
    without = report("without")
    assert set(with_sidecar) - set(without) == {"table2.provenance.json"}
    assert {name: data for name, data in with_sidecar.items() if name in without} == without


def test_sidecar_name_and_a_broken_summary_named_in_the_error(tmp_path):
    assert sidecar_path("reports/fig4.png") == Path("reports/fig4.provenance.json")
    run = tmp_path / "seed0" / "mix"
    run.mkdir(parents=True)
    (run / "summary.json").write_text("{not json")
    with pytest.raises(DataError, match=re.escape(str(run / "summary.json"))):
        summarise_runs([run])
