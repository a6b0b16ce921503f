"""The smoke preset end to end, with Snakemake and (in a separate copy) with DVC.

These are the README promises: one command builds every table and figure; changing one rho
of the sweep reruns only that branch and the reports downstream of it; an unchanged second
`dvc repro` runs nothing.
"""

from __future__ import annotations

import base64
import json
import math
import re
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from background_runs import dvc_smoke_after_first_repro
from pipeline_copy import ROOT, project_copy, run, tool_env
from workflow_dag import parse_dry_run

pytestmark = pytest.mark.e2e

PEERS = {"t2net": "T2Net", "crdoco": "CrDoCo", "gasda": "GASDA"}
TABLE_METHODS = {"syn_only", "real_only", "mix", "mix_ft", "arc_t", "arc_a", "arc_at", "arc_ai", "arc_full", "oracle_declutter",
                 "oracle_mask", "oracle_flat_mask", "oracle_flat_mask_t", *PEERS}
METRICS = ["abs_rel", "sq_rel", "rms", "rms_log", "delta1", "delta2", "delta3"]


def _check_reports(root):
    table = pd.read_csv(root / "reports" / "table2.csv")
    assert set(table["method"].str.replace(r"-rho[0-9.]+$", "", regex=True)) == TABLE_METHODS
    for metric in METRICS:
        assert all(math.isfinite(v) for v in table[metric]), f"non-finite {metric} in table2.csv"
    assert (table["n_seeds"] == 1).all()
    for name in ("fig3_rho.png", "fig4_per_sample.png", "fig5_qualitative.png", "table4.csv", "table2.md",
                 "training_curves.png"):
        assert (root / "reports" / name).stat().st_size > 0, name
    markdown = (root / "reports" / "table2.md").read_text()
    for peer, label in PEERS.items():
        # Each peer trained end to end (it selected an epoch on real_val) and sits beside the paper's value.
        summary = yaml.safe_load((root / "runs" / "synthrooms-indoor" / "seed0" / peer / "summary.json").read_text())
        assert summary["stage"] == peer and summary["steps"] > 0 and summary["selected_epoch"] is not None
        assert re.search(rf"^\| {label} \| ours .*\n\|  \| paper \(NYUv2\)", markdown, flags=re.M), label
    # the oracle mask removes exactly the true clutter, so its IoU with the clutter is 1
    oracle = pd.read_json(root / "results" / "synthrooms-indoor" / "seed0" / "oracle_mask" / "metrics.json", typ="series")
    assert oracle["mask_iou"] == pytest.approx(1.0)
    for flat in ("oracle_flat_mask", "oracle_flat_mask_t"):  # exactly the flat clutter, with A's network or without
        metrics = pd.read_json(root / "results" / "synthrooms-indoor" / "seed0" / flat / "metrics.json", typ="series")
        assert metrics["mask_iou_appearance"] == pytest.approx(1.0) and metrics["keep_rate"] >= oracle["keep_rate"]
    full = pd.read_json(next((root / "results" / "synthrooms-indoor" / "seed0").glob("arc_full-rho0.85")) / "metrics.json", typ="series")
    assert 0.0 <= full["mask_logit_auc"] <= 1.0 and "mask_iou_appearance" in full
    rho_curve = pd.read_csv(root / "reports" / "fig3_rho.csv")
    assert set(rho_curve["rho"].dropna().round(5)) == {0.85, 0.95}
    headline = json.loads((root / "reports" / "table2_metrics.json").read_text())
    assert set(headline) == TABLE_METHODS
    curves = pd.read_csv(root / "reports" / "training_curves.csv")
    # 16 ARC/baseline stage folders + the mix + fine-tuning control + the 3 peers, each with a train and a
    # validation panel
    assert curves["run"].nunique() == 20 and set(curves["curve"]) == {"train", "val"}
    # the premise report: the mix D, and A's D with the raw and the translated A, every intervention
    premise = pd.read_csv(root / "reports" / "premise.csv")
    assert sorted(premise.groupby("setting").size()) == [7, 8, 8]
    assert premise["rms_log"].map(math.isfinite).all()
    assert "IoU with the clutter" in (root / "reports" / "premise.md").read_text()


def _change_one_rho(root, old, new):
    params_file = root / "params.yaml"
    text = params_file.read_text()
    params = yaml.safe_load(text)
    params["rho_sweep"] = [new if r == old else r for r in params["rho_sweep"]]
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))


# What each report file's caption must say (workflow/report/*.rst, rendered by `snakemake --report`).
CAPTIONS = {
    "table2.csv": "Table 2: depth accuracy", "table2.md": "Table 2: depth accuracy", "table2.json": "Table 2: depth accuracy",
    "table2_metrics.json": "Headline metrics per row", "table4.csv": "Table 4:", "table4.md": "Table 4:",
    "fig3_rho.png": "Fig. 3:", "fig3_rho.csv": "Fig. 3:", "fig4_per_sample.png": "Fig. 4:", "fig4_per_sample.csv": "Fig. 4:",
    "fig4_per_sample.json": "Summary of Fig. 4", "fig4_per_sample_by_baseline.png": "Fig. 11:",
    "fig5_qualitative.png": "Fig. 5:", "training_curves.png": "Training curves:", "training_curves.csv": "Training curves:",
    "premise.csv": "The benchmark's premise", "premise.md": "The benchmark's premise", "premise.json": "The benchmark's premise",
    # reports/<name>.provenance.json beside each report (arc/reports/provenance.py)
    **{f"{stem}.provenance.json": "What this report and the runs behind it ran on" for stem in (
        "table2", "table4", "fig3_rho", "fig4_per_sample", "fig5_qualitative", "training_curves", "premise")},
}


@pytest.fixture(scope="module")
def snakemake_run(tmp_path_factory):
    root = project_copy(tmp_path_factory.mktemp("snake"), "smoke")
    run(["snakemake", "--cores", "2", "all"], root)
    # The README's way to browse a run; built here, before any test changes params.yaml.
    run(["snakemake", "--report", "reports/report.html"], root)
    return root


def _report_json(html: str, name: str):
    match = re.search(rf"var {name} = (\{{.*?\}});\s*</script>", html, flags=re.S)
    assert match, f"no `var {name}` in the report"
    return json.loads(match.group(1))


def test_snakemake_smoke_builds_every_report(snakemake_run):
    _check_reports(snakemake_run)
    # every rule wrote its log
    assert (snakemake_run / "logs" / "synthrooms-indoor" / "seed0" / "mix.log").stat().st_size > 0


def test_snakemake_report_holds_every_table_and_figure_with_its_caption(snakemake_run):
    html = (snakemake_run / "reports" / "report.html").read_text()
    results = _report_json(html, "results")
    made = sorted(f"reports/{p.name}" for p in (snakemake_run / "reports").iterdir() if p.name != "report.html")
    assert sorted(results) == made
    assert sorted(p.rsplit("/", 1)[1] for p in made) == sorted(CAPTIONS)
    for path, entry in results.items():
        name = path.rsplit("/", 1)[1]
        assert CAPTIONS[name] in entry["caption"], (path, entry["caption"][:300])
        assert "synthrooms-indoor" in entry["caption"], path  # config values are filled in
        # self-contained: the file itself is embedded
        assert base64.b64decode(entry["data_uri"].split(",", 1)[1]) == (snakemake_run / path).read_bytes(), path
    categories = _report_json(html, "categories")
    assert set(categories) == {"Table 2", "Table 4", "rho sweep", "per-image gains", "qualitative", "training curves", "Premise"}
    assert "reports/training_curves.png" in categories["training curves"]["figure"]
    assert "ARC depth reproduction: synthrooms-indoor" in html  # the workflow description


def test_premise_measures_the_smoke_run(snakemake_run):
    """`arc premise` on the run's real_val: every intervention, and what A removes against its own D."""
    runs = snakemake_run / "runs" / "synthrooms-indoor" / "seed0"
    out = snakemake_run / "premise.json"
    done = run(["arc", "premise", "--params", "params.yaml", "--depth", str(runs / "syn_only" / "checkpoint.pt"),
                "--attention", str(runs / "attention-rho0.85" / "checkpoint.pt"),
                "--split", "data/cache/synthrooms-indoor/real_val", "--out", str(out)], snakemake_run)
    assert "attention_removed" in done.stdout
    (result,) = json.loads(out.read_text()).values()
    rows = {row["intervention"]: row for row in result["rows"]}
    assert list(rows) == ["as_captured", "twin", "clutter_removed", "appearance_removed", "scattered_removed",
                          "blobs_elsewhere_removed", "clutter_inpainted", "attention_removed"]
    assert rows["as_captured"]["rms_log_change_pct"] == 0.0
    assert rows["twin"]["rms_log"] != rows["as_captured"]["rms_log"]
    # A's rho-quantile test mask removes 1 - rho of each image (ties aside)
    assert result["attention"]["removed_fraction"] == pytest.approx(0.15, abs=0.02)
    assert 0.0 <= result["attention"]["iou_with_clutter"] <= 1.0


def _iou_values(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"IoU(?: with clutter| real_val)? (-?[0-9.]+)", text)]


def test_diagnostic_tools_run_on_the_smoke_run(snakemake_run):
    """The measurements behind the attention findings (docs/findings-synthrooms.md) come from `arc diagnose`: keep them running."""
    diagnose = ["arc", "diagnose"]

    ceiling = run(diagnose + ["error-ceiling", "--depth", "syn_only", "--translator", "translator", "--split", "real_val"],
                  snakemake_run).stdout
    assert "(through T)" in ceiling and "scale_invariant:" in ceiling
    removed = [float(v) for v in re.findall(r"removes ([0-9.]+), IoU", ceiling)]
    assert len(removed) == 4 and all(v == pytest.approx(0.15, abs=0.02) for v in removed)
    ious = _iou_values(ceiling)
    assert len(ious) == 4 and all(0.0 <= v <= 1.0 for v in ious)

    optimum = run(diagnose + ["objective-optimum", "--depth", "syn_only", "--translator", "translator",
                              "--attention", "attention_t-rho0.85", "--steps", "2", "--cell", "4"], snakemake_run).stdout
    lines = {line.split("  ")[0].strip(): line for line in optimum.splitlines() if "depth term" in line and "removes" in line}
    assert set(lines) == {"nothing removed", "true clutter removed", "free per-image optimum", "A's test mask"}
    assert "removes 0.000" in lines["nothing removed"] and "IoU with clutter 1.000" in lines["true clutter removed"]

    oracle = run(diagnose + ["oracle-target", "--epochs", "1"], snakemake_run).stdout
    assert oracle.startswith("epoch 1:") and all(0.0 <= v <= 1.0 for v in _iou_values(oracle))

    patches = run(diagnose + ["patch-sensitivity", "mix"], snakemake_run).stdout
    assert patches.count("|dlog| in") == 8


def _dvc_plot_ids():
    return [next(iter(p)) for p in yaml.safe_load((ROOT / "workflow" / "dvc_static.yaml").read_text())["plots"]]


def test_dvc_plots_render_and_metrics_list_every_method(snakemake_run):
    vl_convert = pytest.importorskip("vl_convert", reason="vl-convert-python (dev extra) renders the Vega-Lite specs")
    shown = json.loads(run(["dvc", "plots", "show", "--json"], snakemake_run).stdout)
    assert not shown.get("errors"), shown.get("errors")
    plots = shown["data"]
    assert sorted(plots) == sorted(_dvc_plot_ids())
    for plot_id, renders in plots.items():
        spec = renders[0]["content"]
        assert renders[0]["type"] == "vega" and spec["data"]["values"], plot_id
        # Compile and draw the spec, as a browser would: a bad template or field fails here.
        svg = vl_convert.vegalite_to_svg(spec)
        assert "<svg" in svg and spec["title"]["text"].split(":")[0] in svg, plot_id
    curves = plots["Training and validation curves, every stage and seed"][0]["content"]
    assert {d["panel"] for d in curves["data"]["values"]} >= {"seed 0 · mix: train total loss",
                                                              "seed 0 · translator: val cycle_l1"}
    page = run(["dvc", "plots", "show", "-o", "dvc_plots"], snakemake_run)
    index = (snakemake_run / "dvc_plots" / "index.html").read_text()
    # one embedded Vega-Lite chart per plot, with its title
    assert index.count("vegaEmbed(") == len(plots), page.stdout
    assert all(json.dumps(r[0]["content"]["title"]["text"]) in index for r in plots.values())
    metrics = json.loads(run(["dvc", "metrics", "show", "--json"], snakemake_run).stdout)
    table = next(v["data"]["reports/table2_metrics.json"]["data"] for v in metrics.values())
    assert set(table) == TABLE_METHODS and all(math.isfinite(table[m]["abs_rel"]) for m in table)


def test_snakemake_reruns_only_the_changed_rho_branch(snakemake_run):
    assert parse_dry_run(run(["snakemake", "-n", "-p", "--cores", "1", "all"], snakemake_run).stdout) == {}
    _change_one_rho(snakemake_run, 0.95, 0.9)
    jobs = parse_dry_run(run(["snakemake", "-n", "-p", "--cores", "1", "all"], snakemake_run).stdout)
    outputs = sorted(o for outs in jobs.values() for o in outs)
    assert outputs == sorted([
        "runs/synthrooms-indoor/seed0/attention_t-rho0.9",
        "runs/synthrooms-indoor/seed0/inpainting_t-rho0.9",
        "runs/synthrooms-indoor/seed0/arc_full-rho0.9",
        "results/synthrooms-indoor/seed0/arc_full-rho0.9",
        "reports/fig3_rho.csv",
        "reports/fig3_rho.png",
        "reports/fig3_rho.provenance.json",
        # the documented target reports/table2.csv brings the other reports along
        "reports/table2.csv",
        "reports/table2.json",
        "reports/table2.md",
        "reports/table2.provenance.json",
        "reports/table2_metrics.json",
        # the training curves draw the new branch's stages
        "reports/training_curves.csv",
        "reports/training_curves.png",
        "reports/training_curves.provenance.json",
    ])


def test_dvc_smoke_repro_rho_change_and_noop():
    # The first `dvc repro --quiet` of a fresh smoke copy was started when pytest collected this test
    # (tests/background_runs.py: it runs its stages one at a time, so it shares the CI machine's
    # second core with the tests before it).
    root = dvc_smoke_after_first_repro()
    _check_reports(root)

    assert "up to date" in run(["dvc", "status"], root).stdout
    # commit the run, as a user would, so that the diffs below have a baseline
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    run([*git, "add", "-A"], root)
    run([*git, "commit", "-qm", "smoke run, rho_sweep 0.85 0.95"], root)

    _change_one_rho(root, 0.95, 0.9)
    # dvc.yaml lists the preset's jobs: a stale one is refused before anything runs
    stale = subprocess.run(["dvc", "repro"], cwd=root, env=tool_env(), capture_output=True, text=True)
    assert stale.returncode != 0 and "dvc.yaml is not current" in stale.stdout + stale.stderr, stale.stdout + stale.stderr
    assert not (root / "runs/synthrooms-indoor/seed0/attention_t-rho0.9").exists()
    run([sys.executable, "workflow/make_dvc_yaml.py"], root)
    status = run(["dvc", "status"], root).stdout
    changed = sorted(set(re.findall(r"^(\S+):\s*$", status, flags=re.M)))
    assert changed == sorted([
        "check_settings",
        "evaluate-seed0-arc_full-rho0.9",
        "train_finetune-seed0-arc_full-rho0.9",
        "train_attention-seed0-attention_t-rho0.9",
        "train_inpainting-seed0-inpainting_t-rho0.9",
        "report_rho_figure",
        "report_training_curves",
    ]), status

    run(["dvc", "repro", "--quiet"], root, timeout=1200)
    second = run(["dvc", "repro"], root).stdout
    assert "Running stage" not in second, second
    assert "up to date" in run(["dvc", "status"], root).stdout

    # The rho sweep before (HEAD) and after (workspace) the change, side by side.
    diff = json.loads(run(["dvc", "plots", "diff", "HEAD", "--json", "--targets", "Fig. 3, rho sweep: Rel"],
                          root).stdout)["data"]["Fig. 3, rho sweep: Rel"][0]["content"]["data"]["values"]
    sweep_rhos = {rev: {round(float(d["rho"]), 5) for d in diff if d["rev"] == rev and d["kind"] == "sweep"}
                  for rev in {d["rev"] for d in diff}}
    assert sweep_rhos == {"HEAD": {0.85, 0.95}, "workspace": {0.85, 0.9}}, sweep_rhos
    # Table 2 is at rho = 0.85: its metrics are read at both revisions and did not change.
    metrics = json.loads(run(["dvc", "metrics", "diff", "HEAD", "--all", "--json"], root).stdout)
    table = metrics["reports/table2_metrics.json"]
    assert {key.split(".")[0] for key in table} == TABLE_METHODS
    assert all(v["old"] == v["new"] for v in table.values()), table
