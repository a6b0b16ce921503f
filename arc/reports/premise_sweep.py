"""When does ARC pay? The premise sweep: the ladder of rows at several premise-strength levels.

Each level of ``data.synthrooms.<family>.clutter_strength`` (clutter.ClutterDial; the list is the
setting ``premise_sweep.levels``) is its own copy
of the main DAG in ``runs/premise_sweep/level<L>/`` (a params.yaml derived from the preset, with
the level set, only the ladder's rows and the Table-2 rho (plus NO_REMOVAL_RHO for ARC: full);
the repository's code and workflow are linked
in), run by a nested Snakemake on exactly the files the ladder needs. So a level's branch reruns
only when its own settings (its params.yaml, rewritten only when its content changes) or the code
change, and every number comes from the same code paths as the demo's tables.

Per level the summary gives
- the premise strength: the mix D's RMS-log change on the clutter-free twin (``real_val``, the
  premise report; negative = the twin is better = the clutter misleads the mix D), and the same
  on the test set (oracle declutter vs mix);
- every rung's per-image RMS-log gain over mix + fine-tuning (mean over the training seeds per
  image, then the seeded bootstrap 95 % interval of the mean, as Fig. 4);
- ARC:A&T - ARC:T, ARC:full - ARC:T and oracle mask - ARC:T (does A pay beyond T?), and ARC:full -
  ARC:full with nothing removed (do A's masks pay, beyond the rest of ARC?);
- A's IoU with the clutter and the AUC of its logits (test, ARC:full and ARC:A&T; mean over seeds).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from arc.stage_table import rho_tag
from arc.errors import ConfigError, DataError
from arc.utils.atomic import atomic_write_json, atomic_write_text

SWEEP_ROOT = Path("runs/premise_sweep")
# The rows the ladder trains (syn_only: the D that A is trained against in the demo preset).
LADDER_ROWS = ("syn_only", "mix", "mix_ft", "arc_t", "arc_at", "arc_full")
BASELINE = "mix_ft"
# ARC: full trained and tested at this rho is the same pipeline and loss with A removing nothing (the
# rho-quantile test mask keeps every pixel): the rung that tells A's masks apart from the rest of ARC.
NO_REMOVAL_RHO = 0.99999
# Top-level settings a level does not read: its own list (changing it must not rerun the levels it
# keeps) and the rho sweep (a level runs the Table-2 rho and NO_REMOVAL_RHO only). level_params
# drops or replaces them; the DVC generator leaves them out of a level stage's params.
NOT_READ_BY_A_LEVEL = ("premise_sweep", "rho_sweep")
# What the repository lends each level folder (the nested Snakemake runs there).
LINKED = ("Snakefile", "arc", "workflow", "profiles")


def level_tag(level: float) -> str:
    return f"level{float(level):g}"


def level_dir(level: float, root: str | os.PathLike = SWEEP_ROOT) -> Path:
    return Path(root) / level_tag(level)


def rung_methods(params: dict) -> dict[str, str]:
    """Rung label -> result (method) name at the preset's Table-2 rho."""
    tag = rho_tag(params["rho"])
    return {"mix": "mix", "mix + fine-tuning": "mix_ft", "ARC: T": "arc_t", "ARC: A&T": f"arc_at-{tag}",
            "ARC: full": f"arc_full-{tag}", "ARC: full, nothing removed": f"arc_full-{rho_tag(NO_REMOVAL_RHO)}",
            "oracle declutter": "oracle_declutter", "oracle mask": "oracle_mask",
            "oracle flat mask": "oracle_flat_mask", "oracle flat mask on T": "oracle_flat_mask_t"}


def family_of(params: dict) -> str:
    bench = params["benchmark"]
    if not bench.startswith("synthrooms-"):
        raise ConfigError(f"params.yaml: benchmark {bench!r}; the premise sweep needs a SynthRooms benchmark "
                          "(synthrooms-indoor or synthrooms-outdoor): it sets their clutter_strength")
    return bench.removeprefix("synthrooms-")


def level_params(params: dict, level: float) -> dict:
    """The preset's params with the level's clutter strength and two rhos, the Table-2 one and
    NO_REMOVAL_RHO (Fig. 3 is not the sweep's).

    Every row stays (the params check wants the whole table); the nested run builds only the
    ladder's files (``level_targets``)."""
    if level < 0:
        raise ConfigError(f"premise sweep level {level}: expected a clutter_strength >= 0")
    missing = [r for r in LADDER_ROWS if r not in params["rows"]]
    if missing:
        raise ConfigError(f"params.yaml rows: the premise sweep needs {', '.join(missing)}; expected the demo's rows")
    if len(params["seeds"]) < 3:
        raise ConfigError(f"params.yaml seeds = {params['seeds']}: the premise sweep needs >= 3 training seeds")
    out = json.loads(json.dumps(params))  # plain dicts and lists (Snakemake's config is a subclass)
    out["data"]["synthrooms"][family_of(params)]["clutter_strength"] = float(level)
    out.pop("premise_sweep", None)  # NOT_READ_BY_A_LEVEL: the list, dropped; the rho sweep, replaced
    out["rho_sweep"] = sorted({params["rho"], NO_REMOVAL_RHO})
    return out


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` unless the file already holds it (its mtime is what reruns a level)."""
    if path.is_file() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return True


def prepare_level(params: dict, level: float, repo: str | os.PathLike = ".", root: str | os.PathLike = SWEEP_ROOT) -> Path:
    """Write the level's params.yaml (if its content changed) and link the repository's code in."""
    import yaml

    folder = level_dir(level, root)
    header = f"# premise sweep, level {level:g}: derived from params.yaml by arc.reports.premise_sweep; do not edit\n"
    write_if_changed(folder / "params.yaml", header + yaml.safe_dump(level_params(params, level), sort_keys=False))
    repo = Path(repo).resolve()
    for name in LINKED:
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(repo / name)
    return folder


def level_targets(params: dict) -> list[str]:
    """The nested run's targets: every rung's results per seed (their checkpoints come with them) and
    the networks the level's premise table measures (``measure_level_premise``). Those are upstream of
    A under the depth objective, but A reads no D under ``training.attention.objective: cyclegan``,
    so A's D is then built for the premise table alone."""
    from arc.dag import results_dir, runs_dir
    from arc.reports.premise_report import premise_settings

    seeds = params["seeds"]
    results = [f"{results_dir(params, seed)}/{m}" for seed in seeds for m in rung_methods(params).values()]
    measured = sorted({name for s in premise_settings(ladder_params(params)) for name in s.folders()})
    return results + [f"{runs_dir(params, seed)}/{name}" for seed in seeds for name in measured]


def ladder_params(params: dict) -> dict:
    """The params with only the ladder's rows: the premise report then measures the mix D and the
    translated A's D (the rows A&T and full train), not the raw A that only ARC:A / A&I train."""
    return {**params, "rows": {name: spec for name, spec in params["rows"].items() if name in LADDER_ROWS}}


def run_level(folder: Path, params: dict, cores: int) -> None:
    """The main DAG, nested, in the level folder (Snakemake decides what is out of date there)."""
    repo = str(Path(__file__).resolve().parents[2])  # the jobs import this checkout's arc
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([repo] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    command = [sys.executable, "-m", "snakemake", "--cores", str(cores), "--directory", str(folder),
               "--snakefile", str(folder / "Snakefile"), *level_targets(params)]
    done = subprocess.run(command, env=env)
    if done.returncode:
        raise DataError(f"{folder}: the nested snakemake failed (exit {done.returncode}); its logs are in {folder}/logs")


# ----------------------------------------------------------------------------- summaries


def premise_strength(premise: pd.DataFrame) -> tuple[float, float]:
    """The mix D's RMS-log change on the twin (%, real_val): mean and sample std over seeds."""
    twin = premise[(premise["setting"] == "mix D") & (premise["intervention"] == "twin")]
    if twin.empty:
        raise DataError("the premise table has no 'mix D' / 'twin' rows; expected arc.reports.premise_report's table")
    values = twin["rms_log_change_pct"].to_numpy(float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else float("nan")


def measure_level_premise(folder: Path, params: dict) -> pd.DataFrame:
    """The premise report's table (real_val) for the level's own networks; also written beside them."""
    from arc.evaluation.protocols import get_protocol
    from arc.reports.premise_report import build_premise_report, write_premise_report

    bench = params["benchmark"]
    split = folder / params["data"]["cache_root"] / bench / "real_val"
    frame = build_premise_report(ladder_params(params), folder / "runs" / bench, split,
                                 get_protocol(params["evaluation"]["protocol"]), [int(s) for s in params["seeds"]])
    write_premise_report(frame, folder / "premise.csv", "real_val")
    return frame


def summarise_level(results: Path, premise: pd.DataFrame, level: float, params: dict, *, n_bootstrap: int,
                    seed: int) -> dict:
    """The level's numbers (see the module docstring) from its results root and premise table."""
    from arc.reports.aggregate import seed_metrics_frame
    from arc.reports.figures import gain_summary, per_sample_gains

    protocol = params["evaluation"]["protocol"]
    methods = rung_methods(params)
    twin_pct, twin_std = premise_strength(premise)
    through_t = premise[premise["setting"].str.contains("through T") & (premise["intervention"] == "twin")]
    frame = seed_metrics_frame(results, list(methods.values()), protocol)
    means = frame.groupby("method")["rms_log"].mean()
    summary = {"level": float(level), "premise_twin_pct": twin_pct, "premise_twin_pct_std": twin_std,
               "test_twin_pct": 100.0 * (means["oracle_declutter"] / means["mix"] - 1.0),
               "a_depth_twin_pct": float(through_t["rms_log_change_pct"].mean()),
               "n_seeds": int(frame["seed"].nunique()), "rungs": [], "attention": {}}
    comparisons = [(label, BASELINE) for label in methods if methods[label] != BASELINE]
    comparisons += [("ARC: A&T", "arc_t"), ("ARC: full", "arc_t"), ("oracle mask", "arc_t"), ("oracle flat mask", "arc_t"),
                    ("oracle flat mask on T", "arc_t")]
    comparisons.append(("ARC: full", methods["ARC: full, nothing removed"]))  # what A's masks add
    for label, baseline in comparisons:
        gains = per_sample_gains(results, methods[label], baseline, protocol)
        stats = gain_summary(gains, n_bootstrap=n_bootstrap, seed=seed)
        summary["rungs"].append({"rung": label, "method": methods[label], "baseline": baseline,
                                 "rms_log": float(means[methods[label]]), "gain": stats["mean_gain"],
                                 "ci95_low": stats["ci95_low"], "ci95_high": stats["ci95_high"],
                                 "fraction_improved": stats["fraction_improved"], "n_images": stats["n"]})
    for label in ("ARC: A&T", "ARC: full"):
        rows = frame[frame["method"] == methods[label]]
        summary["attention"][label] = {key: float(rows[key].mean())
                                       for key in ("mask_iou", "mask_logit_auc", "mask_iou_appearance") if key in rows}
    return summary


def sweep_frame(summaries: list[dict]) -> pd.DataFrame:
    """One row per (level, rung, baseline), with the level's premise strength and A's IoU/AUC."""
    rows = []
    for s in sorted(summaries, key=lambda s: s["level"]):
        for r in s["rungs"]:
            rows.append({"level": s["level"], "premise_twin_pct": s["premise_twin_pct"],
                         "premise_twin_pct_std": s["premise_twin_pct_std"], "test_twin_pct": s["test_twin_pct"],
                         "n_seeds": s["n_seeds"], **r,
                         "a_iou_full": s["attention"]["ARC: full"]["mask_iou"],
                         "a_auc_full": s["attention"]["ARC: full"]["mask_logit_auc"],
                         "a_iou_at": s["attention"]["ARC: A&T"]["mask_iou"],
                         "a_auc_at": s["attention"]["ARC: A&T"]["mask_logit_auc"],
                         # IoU with the flat clutter only (what a perfect A removes; summaries before it: NaN)
                         "a_iou_flat_full": s["attention"]["ARC: full"].get("mask_iou_appearance", np.nan)})
    return pd.DataFrame(rows)


def plot_sweep(frame: pd.DataFrame):
    """x = premise strength (mix D on the twin, real_val); left: gains over mix + fine-tuning; right: A."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax_a) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [2.2, 1]})
    vs_ft = frame[frame["baseline"] == BASELINE]
    x_all = np.sort(vs_ft["premise_twin_pct"].unique())
    spread = (x_all.max() - x_all.min()) if len(x_all) > 1 else 1.0
    rungs = list(dict.fromkeys(vs_ft["rung"]))
    for i, rung in enumerate(rungs):
        part = vs_ft[vs_ft["rung"] == rung].sort_values("premise_twin_pct")
        x = part["premise_twin_pct"].to_numpy() + (i - len(rungs) / 2) * 0.012 * spread  # side by side
        y = part["gain"].to_numpy()
        err = np.vstack([y - part["ci95_low"].to_numpy(), part["ci95_high"].to_numpy() - y])
        ax.errorbar(x, y, yerr=err, marker="o", ms=4, capsize=3, label=rung)
    ax.axhline(0.0, color="black", lw=0.8)
    ax.invert_xaxis()  # stronger premise (more negative twin change) to the right
    for _, row in vs_ft.drop_duplicates("level").iterrows():
        ax.annotate(f"L{row['level']:g}", (row["premise_twin_pct"], ax.get_ylim()[1]), ha="center", va="top", fontsize=8)
    ax.set_xlabel("premise strength: mix D's RMS-log change on the clutter-free twin (%, real_val)")
    ax.set_ylabel("RMS-log gain over mix + fine-tuning\n(per image, mean; 95 % bootstrap CI; < 0 = better)")
    ax.legend(fontsize=7, ncol=2)
    levels = vs_ft.drop_duplicates("level").sort_values("premise_twin_pct")
    ax_a.plot(levels["premise_twin_pct"], levels["a_iou_full"], "o-", label="IoU, ARC:full's A")
    ax_a.plot(levels["premise_twin_pct"], levels["a_auc_full"], "s--", label="logit AUC, ARC:full's A")
    ax_a.plot(levels["premise_twin_pct"], levels["a_iou_at"], "^-", label="IoU, ARC:A&T's A")
    ax_a.plot(levels["premise_twin_pct"], levels["a_iou_flat_full"], "v:", label="IoU with the flat clutter, ARC:full's A")
    ax_a.axhline(0.3, color="grey", lw=0.8, ls=":")
    ax_a.invert_xaxis()
    ax_a.set_xlabel("premise strength (%, as left)")
    ax_a.set_ylabel("A's mask vs the true clutter (test)")
    ax_a.legend(fontsize=7)
    fig.tight_layout()
    return fig


def write_sweep_report(summaries: list[dict], out_csv: Path) -> pd.DataFrame:
    from arc.utils.atomic import atomic_savefig

    frame = sweep_frame(summaries)
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_csv, frame.to_csv(index=False, float_format="%.6g"))
    atomic_savefig(out_csv.with_suffix(".png"), plot_sweep(frame), dpi=120)
    return frame


def read_summary(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not a premise-sweep level summary ({exc})") from None


def write_summary(path: Path, summary: dict) -> None:
    atomic_write_json(path, summary)


# ----------------------------------------------------------------------------- command line


def add_arguments(parser):
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--log", default=None)
    sub = parser.add_subparsers(dest="what", required=True)
    level = sub.add_parser("level", help="run one level's nested DAG and write its summary JSON")
    level.add_argument("--level", type=float, required=True)
    level.add_argument("--cores", type=int, default=None, help="the nested Snakemake's cores (default: every CPU)")
    level.add_argument("--out", required=True, help="runs/premise_sweep/level<L>/summary.json")
    report = sub.add_parser("report", help="gather level summaries into the sweep's CSV and figure")
    report.add_argument("summaries", nargs="+")
    report.add_argument("--out", required=True, help="reports/premise_sweep.csv (the PNG goes beside it)")
    return parser


def run(args) -> int:
    from arc.config import load_params

    params = load_params(args.params)
    if args.what == "level":
        folder = prepare_level(params, args.level)
        run_level(folder, params, args.cores or os.cpu_count() or 1)
        level = load_params(folder / "params.yaml")
        n_bootstrap = int(params["evaluation"].get("bootstrap_samples") or 2000)
        summary = summarise_level(folder / "results" / level["benchmark"], measure_level_premise(folder, level),
                                  args.level, level, n_bootstrap=n_bootstrap, seed=int(params["seed"]))
        write_summary(Path(args.out), summary)
        print(f"{folder}: premise (mix D on the twin, real_val) {summary['premise_twin_pct']:+.1f} %; "
              + "; ".join(f"{r['rung']} - {r['baseline']} {r['gain']:+.4f} [{r['ci95_low']:+.4f}, {r['ci95_high']:+.4f}]"
                          for r in summary["rungs"]))
        return 0
    frame = write_sweep_report([read_summary(Path(p)) for p in args.summaries], Path(args.out))
    print(f"wrote {args.out} ({frame['level'].nunique()} levels) and {Path(args.out).with_suffix('.png')}")
    return 0
