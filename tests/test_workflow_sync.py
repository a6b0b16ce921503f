"""Snakefile and dvc.yaml describe the same DAG: same stages, same commands, same outputs;
dvc.yaml is what workflow/make_dvc_yaml.py generates from params.yaml's rows."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import realdata_tree
from workflow_dag import dvc_stages, snakemake_jobs

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "workflow" / "make_dvc_yaml.py"


def _generator():
    spec = importlib.util.spec_from_file_location("make_dvc_yaml", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _copy_workflow(dst: Path, params_file: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "dvc.yaml", "workflow", "arc", ".dvc", "configs"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst / name)
    shutil.copy(params_file, dst / "params.yaml")
    subprocess.run(["git", "init", "-q"], cwd=dst, check=True)
    return dst


# The real-data presets validate their dataset paths: point them at trees built from the real samples.
REAL_TREES = {"paper-nyu": (realdata_tree.nyu_pbrs_tree, {"nyu": {"n_train": 4, "n_val": 2}, "pbrs": {"n_train": 6}}),
              "paper-kitti": (realdata_tree.kitti_vkitti_tree, {"kitti": {"n_train": 4, "n_val": 2}})}


def _preset_params(tmp_path: Path, preset: str) -> Path:
    if preset not in REAL_TREES:
        return ROOT / "configs" / f"{preset}.yaml"
    build_tree, counts = REAL_TREES[preset]
    params = yaml.safe_load((ROOT / "configs" / f"{preset}.yaml").read_text())
    for dataset, settings in build_tree(tmp_path / "datasets").items():
        if isinstance(settings, dict):
            params["data"][dataset].update({**settings, **counts.get(dataset, {})})
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


@pytest.mark.parametrize("preset", ["demo", "demo-authors", "smoke", "paper-nyu", "paper-kitti"])
def test_snakemake_and_dvc_have_identical_stages(tmp_path, preset):
    params_file = _preset_params(tmp_path, preset)
    work = _copy_workflow(tmp_path / "work", params_file)
    # What the README asks after switching to a real-data preset (no oracle rows there).
    subprocess.run([sys.executable, str(work / "workflow" / "make_dvc_yaml.py")], cwd=work, check=True)
    snake = snakemake_jobs(work, "all")
    dvc = dvc_stages(work)
    only_snake = sorted(set(snake) - set(dvc))
    only_dvc = sorted(set(dvc) - set(snake))
    assert not only_snake and not only_dvc, (
        f"commands only in Snakemake: {only_snake[:3]}\ncommands only in dvc.yaml: {only_dvc[:3]}")
    mismatched = {c: (snake[c], dvc[c]) for c in snake if snake[c] != dvc[c]}
    assert not mismatched, f"outputs differ: {list(mismatched.items())[:3]}"
    params = yaml.safe_load((work / "params.yaml").read_text())
    n_seeds, n_sweep = len(params["seeds"]), len(params["rho_sweep"])
    # 2 data stages + 3 D + T + A/I per sweep value (+1 each for the no-T rows) + 4 ARC rows
    # (+ ARC:full per sweep value) + the mix + fine-tuning control + 3 peers + evaluations (8 without
    # rho, 3 at rho, the sweep, 2 oracles) + 7 reports (with the training curves and the premise);
    # the oracles and the premise report on SynthRooms only.
    # The authors' recipe adds a joint stage per row with one (ARC:full's per sweep value; the rows'
    # joint folders differ by their modules: joint, joint_t, joint_i, joint_ti).
    oracles = _generator().has_oracles(params)
    with_joint = [r for r, spec in params["rows"].items() if "joint" in spec["stages"]]
    n_joint = sum(n_sweep if r == "arc_full" else 1 for r in with_joint)
    expected = 2 + n_seeds * (3 + 1 + 2 * n_sweep + 2 + 4 + n_sweep + 1 + 3 + 8 + 3 + n_sweep + 2 * oracles + n_joint) + 6 + oracles
    assert len(snake) == expected
    assert any("--method oracle_mask" in command for command in dvc) == oracles
    for peer in ("t2net", "crdoco", "gasda"):
        outputs = {out for outs in snake.values() for out in outs}
        assert f"runs/{params['benchmark']}/seed{params['seeds'][0]}/{peer}" in outputs
        assert f"results/{params['benchmark']}/seed{params['seeds'][0]}/{peer}" in outputs


def test_local_dataset_roots_reach_snakemake_and_dvc_alike(tmp_path, monkeypatch):
    """The roots only in the git-ignored params.local.yaml (counts stay in params.yaml): Snakemake's
    config merges it as every job's loader does, and dvc.yaml does not depend on it."""
    build_tree, counts = REAL_TREES["paper-nyu"]
    params = yaml.safe_load((ROOT / "configs" / "paper-nyu.yaml").read_text())
    local = {"data": {}}
    for dataset, settings in build_tree(tmp_path / "datasets").items():
        if isinstance(settings, dict):
            params["data"][dataset].update(counts.get(dataset, {}))
            local["data"][dataset] = settings
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    work = _copy_workflow(tmp_path / "work", tmp_path / "params.yaml")
    monkeypatch.delenv("ARC_PARAMS_LOCAL")  # the default: params.local.yaml in the working directory
    check = [sys.executable, str(work / "workflow" / "make_dvc_yaml.py")]
    subprocess.run(check, cwd=work, check=True)
    (work / "params.local.yaml").write_text(yaml.safe_dump(local, sort_keys=False))
    assert subprocess.run([*check, "--check"], cwd=work).returncode == 0
    snake, dvc = snakemake_jobs(work, "all"), dvc_stages(work)
    assert snake and snake == dvc
    (work / "params.local.yaml").unlink()
    assert subprocess.run([*check, "--check"], cwd=work).returncode == 0
    with pytest.raises(AssertionError, match="data.nyu.raw_root"):
        snakemake_jobs(work, "all")  # the roots came from the local file


def test_dvc_yaml_is_generated_and_current():
    proc = subprocess.run([sys.executable, str(GENERATOR), "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _has_joint_rows(params: dict) -> bool:
    return any("joint" in spec["stages"] for spec in params["rows"].values())


@pytest.mark.parametrize("preset", sorted(p.stem for p in (ROOT / "configs").glob("*.yaml")))
def test_every_preset_has_the_rows_dvc_yaml_was_generated_from(preset):
    """One dvc.yaml serves every SynthRooms preset; a real-data preset's lacks only the oracle stages."""
    from arc.config import load_params

    generator = _generator()
    committed_params = load_params(ROOT / "params.yaml", check_paths=False)
    params = load_params(ROOT / "configs" / f"{preset}.yaml", check_paths=False)
    if _has_joint_rows(params) != _has_joint_rows(committed_params):
        # The authors' recipe (rows with a joint stage) adds stages and reroutes fine-tuning:
        # dvc.yaml is regenerated for it (checked against Snakemake in the test above).
        extra = set(generator.build(params)["stages"]) - set(generator.build(committed_params)["stages"])
        assert extra and all(name.startswith("train_joint") for name in extra), extra
        return
    if generator.has_oracles(params):
        assert generator.render(params) == generator.render(committed_params)
        return
    ours, committed = generator.build(params)["stages"], generator.build(committed_params)["stages"]
    assert set(committed) - set(ours) == set(generator.ORACLE_STAGES) and set(ours) <= set(committed)
    premise = "reports/${reports.premise}.csv"
    assert ours["report_table"]["deps"] == [d for d in committed["report_table"]["deps"] if d != premise]
    assert all(ours[name] == committed[name] for name in ours if name != "report_table")


def test_static_top_level_keys_follow_the_generated_stages():
    from arc.config import load_params

    generator = _generator()
    params = load_params(ROOT / "configs" / "smoke.yaml", check_paths=False)
    static = {"plots": [{"reports/fig.csv": {"x": "rho"}}], "metrics": ["reports/table2.json"]}
    document = generator.build(params, static)
    assert list(document) == ["stages", "plots", "metrics"] and document["plots"] == static["plots"]
    with pytest.raises(SystemExit, match="stages"):
        generator.build(params, {"stages": {}})


def test_a_row_added_in_params_reaches_snakemake_and_dvc_alike(tmp_path):
    """The one-place change: a new row in params.yaml (+ regenerating dvc.yaml) and nothing else."""
    params = yaml.safe_load((ROOT / "configs" / "smoke.yaml").read_text())
    params["rows"]["t2net_again"] = dict(params["rows"]["t2net"], label="T2Net (again)")
    params["rows"]["arc_t_again"] = dict(params["rows"]["arc_t"], label="ARC: T (again)")
    params_file = tmp_path / "params.in.yaml"
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    (tmp_path / "work").mkdir()
    work = _copy_workflow(tmp_path / "work", params_file)
    subprocess.run([sys.executable, str(GENERATOR), "--params", str(work / "params.yaml"), "--out", str(work / "dvc.yaml")], check=True)
    snake, dvc = snakemake_jobs(work, "all"), dvc_stages(work)
    assert snake == dvc
    outputs = {out for outs in snake.values() for out in outs}
    for row in ("t2net_again", "arc_t_again"):
        assert f"runs/synthrooms-indoor/seed0/{row}" in outputs and f"results/synthrooms-indoor/seed0/{row}" in outputs


@pytest.mark.parametrize("preset", ["demo", "smoke"])
def test_training_curves_rule_waits_for_every_run_the_script_draws(tmp_path, preset):
    """The rule's run-folder inputs (reports.smk) and the folders the script reads
    (arc.training.rows.plan_row via expected_runs) are two spellings of one list."""
    import sys

    from arc.reports.training_curves import expected_runs

    work = _copy_workflow(tmp_path, ROOT / "configs" / f"{preset}.yaml")
    params = yaml.safe_load((work / "params.yaml").read_text())
    target = f"reports/{params['reports']['training_curves']}.png"
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "-p", "--forceall", "--cores", "1", target],
                          cwd=work, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    start = lines.index("rule report_training_curves:")
    inputs = next(line.strip()[len("input:"):] for line in lines[start:] if line.strip().startswith("input:"))
    run_dirs = sorted(p.strip() for p in inputs.split(",") if p.strip().startswith("runs/"))
    expected = sorted(f"runs/{params['benchmark']}/seed{s}/{name}" for s in params["seeds"]
                      for name in expected_runs(params))
    assert run_dirs == expected


def test_dvc_yaml_carries_the_static_plots_and_metrics():
    """workflow/dvc_static.yaml holds dvc.yaml's top-level keys besides `stages:` (plots, metrics)."""
    static = yaml.safe_load((ROOT / "workflow" / "dvc_static.yaml").read_text())
    dvc = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    assert set(static) == {"plots", "metrics"}
    assert {k: dvc.get(k) for k in static} == static
    templates = {next(iter(p.values())).get("template") for p in static["plots"]}
    for name in templates - {"simple", "linear", "smooth", "scatter", None}:
        assert (ROOT / ".dvc" / "plots" / f"{name}.json").is_file(), name


def test_dvc_training_stages_do_not_depend_on_row_labels():
    """A row's label only names it in reports; DVC must not retrain a stage when it changes."""
    import yaml

    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    training = {name: s for name, s in stages.items() if name.startswith(("train_", "finetune_"))}
    assert training
    for name, spec in training.items():
        keys = [k for k in spec.get("params", []) if isinstance(k, str)]
        covering = [k for k in keys if k.startswith("rows.") and (k.count(".") == 1 or k.endswith(".label"))]
        assert not covering, (name, covering)
