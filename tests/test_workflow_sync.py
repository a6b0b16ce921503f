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
    # Per seed: 3 D + T + stage 3 (A) and its inpainting + the joint stages + 4 ARC rows' fine-tuning
    # (ARC:full per sweep value) + the mix + fine-tuning control + 3 peers + evaluations (8 without
    # rho, 3 at rho, the sweep, 2-4 oracles); then 2 data stages and 6-7 reports.
    # A job is what it computes: the authors' stage 3 (cyclegan objective, its own rho, threshold
    # masks) reads neither D, T nor the row's rho, so it runs once per seed, and its inpainting
    # twice (with T for the rows with T, without for ARC: A&I); on the paper-text recipe A is
    # trained through T and at the row's rho: once per sweep value with T, once at rho without.
    attention = params["training"]["attention"]
    shared = attention.get("objective") == "cyclegan" and "rho" in attention and attention.get("test_mask", "threshold") == "threshold"
    n_attention = 1 if shared else n_sweep + 1
    n_inpainting = 2 if shared else n_sweep + 1
    oracles = _generator().has_oracles(params)
    n_oracles = 4 if params["benchmark"] == "synthrooms-indoor" else 2  # the street benchmark has no flat clutter
    with_joint = [r for r, spec in params["rows"].items() if "joint" in spec["stages"]]
    n_joint = sum(n_sweep if r == "arc_full" else 1 for r in with_joint)
    expected = 2 + n_seeds * (3 + 1 + n_attention + n_inpainting + 4 + n_sweep + 1 + 3 + 8 + 3 + n_sweep + n_oracles * oracles + n_joint) + 6 + oracles
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


def test_paper_nyu_plans_stage3_and_its_inpainting_once_per_seed():
    """Issue 27: the authors' stage 3 reads neither the sweep's rho nor T nor D."""
    from arc.config import load_params
    from arc.dag import stage_counts, training_jobs
    from arc.training.rows import plan_row

    params = load_params(ROOT / "configs" / "paper-nyu.yaml", check_paths=False)
    params["seeds"] = [0, 1, 2]
    counts = stage_counts(params)
    assert counts["train_attention"] == 3 and counts["train_inpainting"] == 6  # I with T (arc_full), without (arc_ai)
    a75, a85 = ({s.stage: s for s in plan_row(params, "arc_full", rho=r)} for r in (0.75, 0.85))
    assert a75["attention"] == a85["attention"] and a75["attention"].needs == {} and a75["attention"].name == "attention"
    assert a75["inpainting"] == a85["inpainting"]
    assert a75["joint"].name != a85["joint"].name and a75["finetune"].name != a85["finetune"].name
    attention = [job for job in training_jobs(params) if job.rule == "train_attention"]
    assert all("--depth" not in job.cmd and "--translator" not in job.cmd and "--rho" not in job.cmd for job in attention)


def test_a_sweep_value_change_under_paper_nyu_reruns_the_joint_stage_and_after_not_stage3():
    """Changing one rho of the sweep: new jobs are the joint stage, fine-tuning and evaluation at the
    new value; every other job (stage 3 and its inpainting among them) is the same job as before."""
    from arc.config import load_params
    from arc.dag import evaluation_jobs, training_jobs

    params = load_params(ROOT / "configs" / "paper-nyu.yaml", check_paths=False)
    before = {job.out: job for job in training_jobs(params) + evaluation_jobs(params, False)}
    params["rho_sweep"] = [0.91 if r == 0.95 else r for r in params["rho_sweep"]]
    after = {job.out: job for job in training_jobs(params) + evaluation_jobs(params, False)}
    new = sorted(out.split("/seed0/", 1)[1] for out in set(after) - set(before))
    assert new == ["arc_full-rho0.91", "arc_full-rho0.91", "joint_ti-rho0.91"], new
    assert all(after[out] == before[out] for out in set(after) & set(before))


def test_dvc_commands_quote_every_value_from_the_settings(tmp_path):
    """Issue 28: a settings value cannot run a command: values are validated (a seed is an integer)
    and every word of a generated command is shell-quoted."""
    from arc.dag import _arg

    assert _arg("0; touch pwned #") == "'0; touch pwned #'"
    generator = _generator()
    from arc.config import load_params

    params = load_params(ROOT / "configs" / "smoke.yaml", check_paths=False)
    params["reports"]["table"] = "t; touch pwned"
    stage = generator.build(params)["stages"]["report_table"]
    assert "'reports/t; touch pwned.csv'" in stage["cmd"]


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
    training = {name: s for name, s in stages.items() if name.startswith("train_")}
    assert training
    for name, spec in training.items():
        keys = [k for k in spec.get("params", []) if isinstance(k, str)]
        covering = [k for k in keys if k.startswith("rows.") and (k.count(".") == 1 or k.endswith(".label"))]
        assert not covering, (name, covering)


@pytest.mark.parametrize("key", ["seeds", "benchmark"])
def test_a_settings_value_runs_no_command_under_either_engine(tmp_path, key):
    """Issue 28: `seeds: ["0; touch <file> #"]` (or the same in `benchmark`) is refused with one line
    by Snakemake and by `dvc repro` (its first stage reads the settings as every command does), and
    nothing runs."""
    work = _copy_workflow(tmp_path / "work", ROOT / "configs" / "smoke.yaml")
    subprocess.run([sys.executable, str(work / "workflow" / "make_dvc_yaml.py")], cwd=work, check=True)
    pwned = tmp_path / "pwned"
    text = (work / "params.yaml").read_text()
    evil = f'"0; touch {pwned} #"'
    text = text.replace("seeds: [0]", f"seeds: [{evil}]") if key == "seeds" else \
        text.replace("benchmark: synthrooms-indoor", f"benchmark: {evil}")
    assert evil in text
    (work / "params.yaml").write_text(text)
    snake = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1"], cwd=work, capture_output=True, text=True)
    assert snake.returncode != 0 and f"'{key}" in snake.stdout + snake.stderr
    dvc = subprocess.run([sys.executable, "-m", "dvc", "repro"], cwd=work, capture_output=True, text=True)
    assert dvc.returncode != 0 and f"'{key}" in dvc.stdout + dvc.stderr, dvc.stdout + dvc.stderr
    assert not pwned.exists()


def test_only_jobs_that_run_on_the_gpu_request_one(tmp_path):
    """Issue 31: with runtime.device cuda (paper-nyu), the training and evaluation jobs request
    runtime.gpus_per_job GPUs and the data and report jobs none; the data job runs on a machine
    without a GPU (it checks the dataset folders, not the device)."""
    from arc.config import load_params
    from arc.data.benchmarks import prepare_source

    params_file = _preset_params(tmp_path, "paper-nyu")
    work = _copy_workflow(tmp_path / "work", params_file)
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--forceall", "--cores", "1", "all"], cwd=work,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    gpus: dict[str, set] = {}
    rule = None
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith(("rule ", "localrule ")) and line.endswith(":"):
            rule = line.split()[1][:-1]
        elif line.startswith("resources:") and rule:
            gpus.setdefault(rule, set()).add("gpu=1" in line)
    assert {r for r, g in gpus.items() if g == {True}} == {"train_depth", "train_translator", "train_attention",
                                                          "train_inpainting", "train_joint", "train_finetune",
                                                          "train_peer", "evaluate"}, gpus
    assert all(g == {False} for r, g in gpus.items() if r.startswith(("prepare_", "build_", "report_"))), gpus
    params = load_params(params_file, check_paths=False)
    assert params["runtime"]["device"] == "cuda"
    out = prepare_source(params, tmp_path / "source")  # no GPU here: the data job does not ask for one
    assert (out / "source.json").is_file()
