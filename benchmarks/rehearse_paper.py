"""Rehearse a paper run: the whole DAG of a paper preset at paper width and input size, every
stage cut to a few steps, on the real sample files laid out as the official downloads are.

    python benchmarks/rehearse_paper.py --preset paper-nyu [--slurm] [--out FILE]

What it does, in a scratch folder (``--workdir``, default a new folder under /tmp):
- a copy of the project (tests/pipeline_copy.py) with the preset as params.yaml;
- the datasets in the official layouts, built from the real samples (tests/realdata_tree.py, as
  tests/test_e2e_realdata.py does), with the counts given below;
- the preset's networks (width) and input size (data.real_size) untouched; only settings cut the
  run: ``training.max_steps_per_epoch`` (--steps), every stage's epochs (--epochs),
  ``optim.batch_size`` (--batch-size, default the preset's), one rho (the sweep's other branches
  are copies of the same jobs), a VGG file of the right structure (zeros; the weights are not
  needed to time a step), the device set to what this machine has;
- Snakemake on the whole DAG (``--target``; ``--omit-from RULE`` leaves a rule and everything after
  it out), locally or with ``--slurm`` through profiles/slurm on the partition ``--partition``.

Then, per job Snakemake ran (read from Snakemake's own log, so the jobs are whatever the DAG has):
the job's wall seconds; for training jobs (those whose output folder holds a timing.csv, written
by arc.training.runner) the compute seconds, the time outside compute split into process start
and set-up (wall minus the epochs), data loading, validation, checkpoint writes and logs, and the
process's peak resident memory. Under SLURM the peak memory of every job comes from sacct.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import realdata_tree  # noqa: E402  (tests/: the official layouts from the real samples)
from pipeline_copy import project_copy, tool_env  # noqa: E402

TREES = {
    "paper-nyu": (realdata_tree.nyu_pbrs_tree, {"nyu": {"n_train": 4, "n_val": 2}, "pbrs": {"n_train": 6}}),
    "paper-kitti": (realdata_tree.kitti_vkitti_tree, {"kitti": {"n_train": 4, "n_val": 2}}),
}
# Every stage's epoch count in params["training"] (the finetune's alternation and GASDA's two phases too).
EPOCH_KEYS = {"finetune": ("iterations", "epochs_per_step", "epochs"), "gasda": ("pretrain_epochs", "epochs")}
TIMING_OUTSIDE = ("data_s", "validation_s", "checkpoint_resume_s", "checkpoint_selected_s", "log_s", "other_hooks_s", "untracked_s")


def rehearsal_params(preset: str, data: dict, *, steps: int, epochs: int, batch_size: int | None, vgg: Path,
                     full_sweep: bool, mem_mb: int, threads: int | None) -> dict:
    params = yaml.safe_load((REPO / "configs" / f"{preset}.yaml").read_text())
    for dataset, settings in data.items():
        params["data"][dataset].update(settings)
    training = params["training"]
    training["max_steps_per_epoch"] = steps
    for stage, cfg in training.items():
        if isinstance(cfg, dict):
            for key in EPOCH_KEYS.get(stage, ("epochs",)):
                if key in cfg:
                    cfg[key] = epochs
    if batch_size is not None:
        params["optim"]["batch_size"] = batch_size
    if not full_sweep:
        params["rho_sweep"] = [params["rho"]]
    params["models"]["vgg"]["weights"] = str(vgg)
    params["evaluation"]["bootstrap_samples"] = 10
    params["evaluation"]["qualitative_examples"] = 1
    cuda = _cuda()
    runtime = params["runtime"]
    runtime["device"] = "cuda" if cuda else "cpu"
    runtime["gpus_per_job"] = runtime.get("gpus_per_job", 1) if cuda else 0
    runtime["mem_mb_per_job"] = mem_mb
    if threads is not None:
        runtime["num_threads"] = threads
    return params


def cut_test_split(preset: str, data: dict, frames: int, work: Path) -> dict:
    """The test split cut to its first ``frames`` frames (the same protocol and scoring, fewer frames):
    NYU a splits.mat with the first test indices, KITTI the Eigen list's first lines."""
    if preset == "paper-nyu":
        from scipy.io import loadmat, savemat

        splits = loadmat(data["nyu"]["splits_mat"])
        path = work / "nyu_splits_cut.mat"
        savemat(path, {"trainNdxs": splits["trainNdxs"], "testNdxs": splits["testNdxs"].ravel()[:frames].reshape(-1, 1)})
        return {**data, "nyu": {**data["nyu"], "splits_mat": str(path)}}
    lines = [line for line in Path(data["kitti"]["test_list"]).read_text().splitlines() if line.strip()]
    path = work / "eigen_test_cut.txt"
    path.write_text("\n".join(lines[:frames]) + "\n")
    return {**data, "kitti": {**data["kitti"], "test_list": str(path)}}


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 1 << 20


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


# --- Snakemake's log ---------------------------------------------------------------------------
STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
RULE = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):$")
FIELD = re.compile(r"^\s+(output|jobid|external_jobid|wildcards): (.*)$")
FINISHED = re.compile(r"^Finished job(?:id)?:? (\d+)")


def parse_snakemake_log(path: Path) -> list[dict]:
    """Jobs of one Snakemake log: rule, output, start and end time (the log's second stamps)."""
    jobs: dict[str, dict] = {}
    stamp, current = None, None
    for line in path.read_text().splitlines():
        if m := STAMP.match(line.strip()):
            stamp = datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
            continue
        if m := RULE.match(line):
            current = {"rule": m.group(1), "start": stamp}
            continue
        if current is not None and (m := FIELD.match(line)):
            key, value = m.groups()
            current[key] = value.strip()
            if key == "jobid":
                jobs[current["jobid"]] = current
            continue
        if m := FINISHED.match(line.strip()):
            if m.group(1) in jobs:
                jobs[m.group(1)]["end"] = stamp
            current = None
        elif m := re.search(r"Submitted job (\d+) with external jobid '?(\d+)", line):
            if m.group(1) in jobs:
                jobs[m.group(1)]["slurm_id"] = m.group(2)
    return [j for j in jobs.values() if j["rule"] != "all"]


def row_targets(root: Path, rows: list[str], omit_from: list[str]) -> list[str]:
    """The run folders of ``rows`` (the final stage of each: folder name = the row, maybe with -rho<x>),
    read from a dry run of the whole DAG."""
    cmd = ["snakemake", "-n", "--forceall", "--cores", "1", *(["--omit-from", *omit_from] if omit_from else []), "all"]
    out = subprocess.run(cmd, cwd=root, env=tool_env(), capture_output=True, text=True, check=True).stdout
    outputs = {o.strip() for line in out.splitlines() if (m := FIELD.match(line)) and m.group(1) == "output" for o in m.group(2).split(",")}
    targets = sorted(o for o in outputs if o.startswith("runs/") and Path(o).name.split("-rho")[0] in rows)
    missing = sorted(set(rows) - {Path(t).name.split("-rho")[0] for t in targets})
    if missing:
        raise SystemExit(f"--rows: no run folder for {missing} in the DAG of {root / 'params.yaml'}")
    return targets


def read_timing(folder: Path) -> dict | None:
    path = folder / "timing.csv"
    if not path.is_file():
        return None
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = {k: sum(float(r[k]) for r in rows) for k in rows[0] if k not in ("epoch", "peak_rss_mb")}
    out["epochs"] = len(rows)
    out["peak_rss_mb"] = max(float(r["peak_rss_mb"]) for r in rows)
    return out


def sacct_peak_mb(job_ids: list[str]) -> dict[str, float]:
    """MaxRSS of each SLURM job (its largest step), in MB."""
    if not job_ids or shutil.which("sacct") is None:
        return {}
    out = subprocess.run(["sacct", "-n", "-P", "-j", ",".join(job_ids), "-o", "JobID,MaxRSS"],
                         capture_output=True, text=True).stdout
    units = {"K": 1 / 1024, "M": 1.0, "G": 1024.0}
    peaks: dict[str, float] = {}
    for line in out.splitlines():
        job, _, rss = line.partition("|")
        if rss and rss[-1] in units:
            base = job.split(".")[0]
            peaks[base] = max(peaks.get(base, 0.0), float(rss[:-1]) * units[rss[-1]])
    return peaks


def job_table(root: Path, jobs: list[dict], slurm_peaks: dict[str, float]) -> list[dict]:
    rows = []
    for job in jobs:
        if "end" not in job or job.get("start") is None:
            continue
        output = job.get("output", "").split(",")[0].strip()
        wall = (job["end"] - job["start"]).total_seconds()
        row = {"job": f"{job['rule']} {output}", "wall_s": wall}
        timing = read_timing(root / output) if output else None
        if timing:
            outside = {k: timing[k] for k in TIMING_OUTSIDE}
            row.update(
                epochs=timing["epochs"],
                compute_s=timing["compute_s"],
                outside_s=wall - timing["compute_s"],
                setup_s=max(wall - timing["wall_s"], 0.0),
                data_s=outside["data_s"],
                validation_s=outside["validation_s"],
                checkpoints_s=outside["checkpoint_resume_s"] + outside["checkpoint_selected_s"],
                logs_s=outside["log_s"],
                rest_s=outside["other_hooks_s"] + outside["untracked_s"],
                peak_mb=timing["peak_rss_mb"],
            )
        if job.get("slurm_id") in slurm_peaks:
            row["peak_mb"] = slurm_peaks[job["slurm_id"]]
        rows.append(row)
    return rows


COLUMNS = [("job", "{}"), ("wall_s", "{:.0f}"), ("epochs", "{}"), ("compute_s", "{:.1f}"), ("outside_s", "{:.1f}"),
           ("setup_s", "{:.1f}"), ("data_s", "{:.2f}"), ("validation_s", "{:.2f}"), ("checkpoints_s", "{:.2f}"),
           ("logs_s", "{:.3f}"), ("rest_s", "{:.3f}"), ("peak_mb", "{:.0f}")]


def format_table(rows: list[dict]) -> str:
    cells = [[name for name, _ in COLUMNS]]
    for row in rows:
        cells.append([fmt.format(row[name]) if name in row else "-" for name, fmt in COLUMNS])
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c[i].ljust(widths[i]) if i == 0 else c[i].rjust(widths[i]) for i in range(len(COLUMNS))) for c in cells]
    training = [r for r in rows if "compute_s" in r]
    if training:
        total = {k: sum(r[k] for r in training) for k in ("wall_s", "compute_s", "outside_s", "setup_s", "data_s",
                                                         "validation_s", "checkpoints_s", "logs_s", "rest_s")}
        epochs = sum(r["epochs"] for r in training)
        in_loop = total["outside_s"] - total["setup_s"]
        lines.append("")
        lines.append(f"training jobs: {len(training)}, {epochs} epochs; wall {total['wall_s']:.0f} s, compute {total['compute_s']:.1f} s, "
                     f"outside compute {total['outside_s']:.1f} s (process start and set-up {total['setup_s']:.1f} s; inside the "
                     f"epochs {in_loop:.1f} s = {in_loop / max(epochs, 1):.2f} s per epoch: data {total['data_s']:.1f}, validation "
                     f"{total['validation_s']:.1f}, checkpoints {total['checkpoints_s']:.1f}, logs {total['logs_s']:.2f}, rest {total['rest_s']:.2f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", required=True, choices=sorted(TREES))
    ap.add_argument("--slurm", action="store_true", help="run through profiles/slurm (a SLURM with accounting must answer)")
    ap.add_argument("--partition", default="debug", help="SLURM partition (--slurm); default debug (tools/start-local-slurm)")
    ap.add_argument("--steps", type=int, default=2, help="training.max_steps_per_epoch (default 2)")
    ap.add_argument("--epochs", type=int, default=1, help="every stage's epochs (default 1)")
    ap.add_argument("--batch-size", type=int, default=None, help="optim.batch_size (default: the preset's)")
    ap.add_argument("--test-frames", type=int, default=None,
                    help="score only the test split's first N frames (default: all, 654 NYU / 697 KITTI)")
    ap.add_argument("--full-sweep", action="store_true", help="keep the preset's rho_sweep (default: rho only)")
    ap.add_argument("--rows", default=None,
                    help="comma-separated rows: train only these rows' run folders and their upstream stages (no evaluation); "
                         "default: the whole DAG (--target)")
    ap.add_argument("--target", default="all", help="Snakemake target (default all)")
    ap.add_argument("--omit-from", nargs="*", default=[], help="rules left out with everything after them (snakemake --omit-from)")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None,
                    help="runtime.num_threads (default: the preset's on CUDA; on a CPU, the CPUs shared by --cores jobs)")
    ap.add_argument("--mem-mb", type=int, default=12000, help="runtime.mem_mb_per_job (SLURM's --mem; default 12000)")
    ap.add_argument("--mem-total-mb", type=int, default=None,
                    help="without --slurm: the memory Snakemake shares among jobs (default 90 %% of this machine's)")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None, help="also write the report here")
    args = ap.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix=f"rehearse-{args.preset}-"))
    root = project_copy(work / "project", args.preset)
    build_tree, counts = TREES[args.preset]
    tree = build_tree(work / "datasets")
    data = {k: {**v, **counts.get(k, {})} for k, v in tree.items() if isinstance(v, dict)}
    if args.test_frames:
        data = cut_test_split(args.preset, data, args.test_frames, work)
    preset = yaml.safe_load((REPO / "configs" / f"{args.preset}.yaml").read_text())
    vgg = realdata_tree.write_vgg_features(work / "vgg.pth", preset["models"]["vgg"]["arch"])
    # On a CPU, jobs running side by side with the preset's threads each would oversubscribe the cores and
    # inflate every time outside compute with it.
    threads = args.threads
    if threads is None and not _cuda():
        threads = max(1, (os.cpu_count() or 1) // args.cores)
    params = rehearsal_params(args.preset, data, steps=args.steps, epochs=args.epochs, batch_size=args.batch_size,
                              vgg=vgg, full_sweep=args.full_sweep, mem_mb=args.mem_mb, threads=threads)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    # Options that take a list (--resources, --default-resources, --omit-from) read every word up to
    # the next option: they come first, each closed by the option after it.
    cmd = ["snakemake"]
    if args.slurm:
        cmd += ["--default-resources", f"slurm_partition={args.partition}", f"mem_mb={args.mem_mb}", "runtime=120",
                "--profile", "profiles/slurm", "--jobs", str(args.cores)]  # --cores: the jobs in flight
    else:
        # Training jobs request runtime.mem_mb_per_job: on a workstation, run only as many side by side
        # as its memory holds (paper-size stage-3 and GASDA jobs on CPU take ~10 GB each).
        cmd += ["--resources", f"mem_mb={args.mem_total_mb or _memory_mb() * 9 // 10}"]
    if args.omit_from:
        cmd += ["--omit-from", *args.omit_from]
    # Under SLURM, --cores would cap every job's threads (and so its --cpus-per-task) at that number;
    # --jobs (above) bounds the jobs in flight instead.
    cmd += [] if args.slurm else ["--cores", str(args.cores)]
    cmd += row_targets(root, args.rows.split(","), args.omit_from) if args.rows else [args.target]
    started = time.monotonic()
    with open(work / "snakemake.out", "w") as log:
        proc = subprocess.run(cmd, cwd=root, env=tool_env(), stdout=log, stderr=subprocess.STDOUT)
    elapsed = time.monotonic() - started
    logs = sorted((root / ".snakemake" / "log").glob("*.snakemake.log"))
    jobs = parse_snakemake_log(logs[-1]) if logs else []
    peaks = sacct_peak_mb([j["slurm_id"] for j in jobs if "slurm_id" in j]) if args.slurm else {}
    rows = job_table(root, jobs, peaks)

    size = preset["data"]["real_size"]
    header = [
        f"# rehearsal of {args.preset}: {' '.join(cmd)} (in {root})",
        f"# {datetime.now().strftime('%Y-%m-%d %H:%M')}; input {size['height']}x{size['width']}, the preset's networks; "
        f"{args.steps} steps per epoch, {args.epochs} epoch(s) per stage, batch {params['optim']['batch_size']}, "
        f"rho_sweep {params['rho_sweep']}; test frames {args.test_frames or 'all'}; "
        f"device {params['runtime']['device']}, {params['runtime']['num_workers']} loader workers, "
        f"{params['runtime']['num_threads']} threads; load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        f"# snakemake exit {proc.returncode}, {elapsed:.0f} s, {len(rows)} jobs finished"
        + ("" if proc.returncode == 0 else f" (see {work / 'snakemake.out'})"),
        "# wall_s: the job in Snakemake's log (1 s stamps; under SLURM submission to the poll that saw it end); "
        "compute_s: the step functions; outside_s = wall - compute; setup_s: process start, imports, set-up and "
        "the end (wall minus the epochs); data/validation/checkpoints/logs/rest: inside the epochs (timing.csv)",
    ]
    report = "\n".join(header) + "\n" + format_table(rows) + "\n"
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
