"""``arc diagnose ...``: the diagnostics behind the findings (see arc.diagnostics), in a workflow directory.

Networks are named by their run folder (``--depth syn_only --translator translator --seed 0`` reads
runs/<benchmark>/seed0/<folder>/checkpoint.pt, the workflow's layout) or given as a checkpoint path.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from arc.errors import ConfigError


def _checkpoint(work, seed: int, value: str | None) -> Path | None:
    if value is None:
        return None
    if value.endswith(".pt") or Path(value).is_file():
        return Path(value)
    return work.checkpoint(seed, value)


def _setup(args):
    import torch

    from arc.config import load_params
    from arc.diagnostics.layout import Workdir

    torch.set_num_threads(args.threads)
    params = load_params(Path(args.root) / args.params)
    return params, Workdir.of(params, args.root)


def _common(p: argparse.ArgumentParser, *, networks: bool = True) -> None:
    p.add_argument("--params", default="params.yaml", help="relative to --root")
    p.add_argument("--root", default=".", help="the workflow directory (data/cache, runs/, results/)")
    p.add_argument("--threads", type=int, default=2)
    if networks:
        p.add_argument("--seed", type=int, default=0, help="training seed of the run folders")
        p.add_argument("--depth", default="syn_only", help="run folder (or checkpoint.pt) of the fixed D")
        p.add_argument("--translator", default=None, help="run folder (or checkpoint.pt) of T: measure through T")


def _write_csv(path: Path, rows: list[dict]) -> None:
    from arc.utils.atomic import atomic_write_text
    import io

    columns = list(dict.fromkeys(k for r in rows for k in r))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    atomic_write_text(path, buffer.getvalue())


def run_ceiling(args) -> int:
    from arc.diagnostics.ceiling import error_ceiling, format_ceiling
    from arc.diagnostics.depth_error import load_fixed, load_split

    params, work = _setup(args)
    split = load_split(work.split(args.split))
    translator = _checkpoint(work, args.seed, args.translator)
    result = error_ceiling(load_fixed(_checkpoint(work, args.seed, args.depth), "depth", params), split,
                           float(params["rho"]), smooth=args.smooth,
                           translator=load_fixed(translator, "translator", params) if translator else None)
    print(format_ceiling(result, args.split, split, float(params["rho"]), translator is not None))
    return 0


def run_optimum(args) -> int:
    from arc.diagnostics.depth_error import load_fixed, load_split
    from arc.diagnostics.objective import format_optimum, objective_optimum

    params, work = _setup(args)
    split = load_split(work.split(args.split))
    translator = _checkpoint(work, args.seed, args.translator)
    attention = _checkpoint(work, args.seed, args.attention)
    rho = float(params["rho"])
    result = objective_optimum(
        load_fixed(_checkpoint(work, args.seed, args.depth), "depth", params), split, rho,
        float(params["training"]["attention"]["lambda_kl"]),
        translator=load_fixed(translator, "translator", params) if translator else None,
        attention=load_fixed(attention, "attention", params) if attention else None,
        fill=args.fill, loss=args.loss, steps=args.steps, cell=args.cell)
    print(f"{args.split}: {len(split.x)} images, fill {args.fill}, depth term {args.loss}, rho {rho}, {args.steps} steps "
          f"on {args.cell}x{args.cell} cells")
    print(format_optimum(result))
    return 0


def run_oracle(args) -> int:
    from arc.diagnostics.depth_error import load_split
    from arc.diagnostics.oracle_target import format_records, train_on_oracle_target

    params, work = _setup(args)
    records = train_on_oracle_target(params, load_split(work.split("real_train")), load_split(work.split("real_val")),
                                     args.epochs, rho=float(params["rho"]))
    print(format_records(records))
    return 0


def run_patches(args) -> int:
    import numpy as np

    from arc.data.cache import open_cache
    from arc.diagnostics.depth_error import load_fixed
    from arc.diagnostics.patches import format_sensitivity, patch_sensitivity

    params, work = _setup(args)
    split = open_cache(work.split(args.split))
    twin = np.asarray(split.array("clean_rgb"))
    gt = np.stack([split.depth_m(i) for i in range(len(twin))])
    for name in args.depths:
        path = _checkpoint(work, args.seed, name)
        result = patch_sensitivity(load_fixed(path, "depth", params), twin, gt, float(split.manifest["max_depth"]))
        print(format_sensitivity(result, path.parent.name))
    return 0


def run_stage3(args) -> int:
    from arc.diagnostics.stage3_probe import run_probe

    params, work = _setup(args)
    if args.epochs is not None:
        params["training"]["attention"]["epochs"] = args.epochs
    out = Path(args.out)
    summary, probe = run_probe(params, data_dir=work.cache(), depth=_checkpoint(work, args.seed, args.depth), seed=args.seed, out_dir=out, rho=args.rho,
                               cycle_mask=not args.no_cycle_mask)
    _write_csv(out / "steps.csv", probe.steps)
    _write_csv(out / "epochs.csv", probe.epochs)
    print({"seconds": round(summary["seconds"], 1), "val": summary["val"]})
    for row in probe.epochs:
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
    return 0


def _labelled(items: list[str], expected: str) -> dict[str, str]:
    """LABEL=PATH arguments as {label: path}; one error naming the item that has no '='."""
    pairs = {}
    for item in items:
        label, sep, path = item.partition("=")
        if not sep:
            raise ConfigError(f"{item!r}: expected {expected}")
        pairs[label] = path
    return pairs


def run_real_val(args) -> int:
    from arc.diagnostics.recipe import real_val_table, selected_real_val

    curves = _labelled(args.curves, "LABEL=path/to/training_curves.csv")
    print(real_val_table({label: selected_real_val(path) for label, path in curves.items()}))
    return 0


def run_seed_check(args) -> int:
    from arc.diagnostics.layout import Workdir
    from arc.diagnostics.recipe import seed_check

    runs = _labelled(args.runs, "LABEL=PATH of a working copy")
    works = {label: Workdir(Path(path), args.benchmark) for label, path in runs.items()}
    print(seed_check(works, args.seeds, args.protocol or args.benchmark, f"rho{args.rho}", args.bootstrap))
    return 0


def run_frozen_bn(args) -> int:
    from arc.config import load_params
    from arc.diagnostics.frozen_bn import compare_frozen_bn

    rows = compare_frozen_bn(load_params(args.params), Path(args.data), args.seeds, Path(args.out))
    _write_csv(Path(args.out) / "masks.csv", rows)
    print((Path(args.out) / "masks.csv").read_text(), end="")
    return 0


def run_twin_gain(args) -> int:
    from arc.diagnostics.twin_gain import format_twin_gains, twin_gains

    params, work = _setup(args)
    methods = {method: folder or method for method, _, folder in (m.partition("=") for m in args.methods)}
    rows = twin_gains(work, methods, args.seeds or [int(s) for s in params["seeds"]],
                      args.protocol or params["evaluation"]["protocol"], Path(args.out), against=args.against,
                      n_bootstrap=args.bootstrap)
    _write_csv(Path(args.out) / "twin_gain.csv", rows)
    print(format_twin_gains(rows))
    return 0


def run_pooled_gain(args) -> int:
    from arc.config import load_params
    from arc.diagnostics.layout import Workdir
    from arc.reports.figures import instance_gain_summary, pooled_gain_summary

    pairs = [pair.partition(":")[::2] for pair in args.pairs]
    for pair, (method, baseline) in zip(args.pairs, pairs):
        if not method or not baseline:
            raise ConfigError(f"--pair {pair!r}: expected METHOD:BASELINE, e.g. arc_full-rho0.85:mix_ft")
    settings = [load_params(Path(folder) / args.params, check_paths=False) for folder in args.folders]
    protocols = {params["evaluation"]["protocol"] for params in settings}
    if len(protocols) != 1:
        raise ConfigError(f"the folders' {args.params} score different protocols {sorted(protocols)}: pool one protocol")
    (protocol,) = protocols
    roots = [Workdir.of(params, folder).results_root() for params, folder in zip(settings, args.folders)]
    print(f"{len(roots)} benchmark instance(s): {', '.join(args.folders)}")
    for method, baseline in pairs:
        s = pooled_gain_summary(roots, method, baseline, protocol, n_bootstrap=args.bootstrap, seed=args.seed)
        print(f"{method:22s} vs {baseline:7s} {s['mean_gain']:+.4f} [{s['ci95_low']:+.4f}, {s['ci95_high']:+.4f}]"
              f"  {s['n']} images, {100 * s['fraction_improved']:.0f} % improved")
        if len(roots) > 1:
            i = instance_gain_summary(roots, method, baseline, protocol, n_bootstrap=args.bootstrap, seed=args.seed)
            print(f"{'':22s}    across instances {i['mean_gain']:+.4f} [{i['ci95_low']:+.4f}, {i['ci95_high']:+.4f}]"
                  f" (two-level bootstrap); per instance {', '.join(f'{m:+.4f}' for m in i['instance_means'])}")
    return 0


def run_zero_fill(args) -> int:
    from arc.diagnostics.zero_fill import STEPS, zero_fill_results
    from arc.reports.figures import gain_summary, per_sample_gains

    params, work = _setup(args)
    protocol = params["evaluation"]["protocol"]
    results = zero_fill_results(work, Path(args.root) / args.params, args.seeds or [int(s) for s in params["seeds"]],
                                protocol, Path(args.out))
    for method, baseline, meaning in STEPS:
        s = gain_summary(per_sample_gains(results, method, baseline, protocol), n_bootstrap=args.bootstrap, seed=0)
        print(f"{method:27s} vs {baseline:27s} {s['mean_gain']:+.4f} [{s['ci95_low']:+.4f}, {s['ci95_high']:+.4f}]  "
              f"{s['n']} images; {meaning}")
    return 0


def run_instance_relation(args) -> int:
    from arc.diagnostics.instances import correlations, format_relation, instance_frame
    from arc.utils.atomic import atomic_write_text

    frame = instance_frame(args.summaries)
    corr = correlations(frame, n_bootstrap=args.bootstrap, seed=args.seed)
    print(format_relation(frame, corr))
    if args.out:
        atomic_write_text(Path(args.out), frame.to_csv(index=False, float_format="%.6g"))
    return 0


def register(subparsers) -> None:
    top = subparsers.add_parser("diagnose", help="diagnostics behind docs/findings-synthrooms.md (arc.diagnostics)")
    sub = top.add_subparsers(dest="diagnostic", required=True)

    p = sub.add_parser("error-ceiling", help="an attention that removes D's largest errors (with ground truth)")
    _common(p)
    p.add_argument("--split", default="real_train")
    p.add_argument("--smooth", type=int, default=3, help="box-smoothing radius (pixels)")
    p.set_defaults(func=run_ceiling)

    p = sub.add_parser("objective-optimum", help="free per-image masks optimised on A's objective")
    _common(p)
    p.add_argument("--attention", default=None, help="run folder (or checkpoint.pt) of A: score its mask too")
    p.add_argument("--split", default="real_train")
    p.add_argument("--fill", choices=("zero", "blur"), default="zero")
    p.add_argument("--loss", choices=("l1", "scale_invariant"), default="l1")
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--cell", type=int, default=4)
    p.set_defaults(func=run_optimum)

    p = sub.add_parser("oracle-target", help="A's network trained on the true clutter mask")
    _common(p, networks=False)
    p.add_argument("--epochs", type=int, required=True)
    p.set_defaults(func=run_oracle)

    p = sub.add_parser("patch-sensitivity", help="patch interventions on clutter-free twins")
    _common(p, networks=False)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--split", default="real_val")
    p.add_argument("depths", nargs="+", help="run folders (or checkpoint.pt files) of the Ds to test")
    p.set_defaults(func=run_patches)

    p = sub.add_parser("stage3-probe", help="the authors'-recipe stage 3, step by step")
    _common(p)
    p.add_argument("--out", required=True, help="folder for steps.csv, epochs.csv and the stage's run")
    p.add_argument("--rho", type=float, default=None)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--no-cycle-mask", action="store_true", help="counterfactual: unmasked real cycle loss")
    p.set_defaults(func=run_stage3)

    p = sub.add_parser("frozen-bn-masks", help="the ARC: full row's masks under training.frozen_bn eval vs train")
    p.add_argument("--params", default="params.yaml")
    p.add_argument("--data", required=True, help="the benchmark's cache folder, e.g. data/cache/synthrooms-indoor")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--out", required=True, help="folder for the runs and masks.csv")
    p.set_defaults(func=run_frozen_bn)

    p = sub.add_parser("twin-gain", help="each row's own networks on the clutter-free twins (a perfect A and I)")
    _common(p, networks=False)
    p.add_argument("--seeds", type=int, nargs="+", default=None, help="default: params seeds")
    p.add_argument("--protocol", default=None, help="default: params evaluation.protocol")
    p.add_argument("--against", nargs="*", default=[], help="results to compare with besides the row's own")
    p.add_argument("--bootstrap", type=int, default=10000)
    p.add_argument("--out", required=True, help="folder for <seed>/<method>_on_twin results and twin_gain.csv")
    p.add_argument("methods", nargs="+", help="result names whose run folder has the same name, or METHOD=FOLDER")
    p.set_defaults(func=run_twin_gain)

    p = sub.add_parser("zero-fill", help="ARC: full's T and D with the true flat clutter zero-filled (no I): separates I from the fine-tuning")
    _common(p, networks=False)
    p.add_argument("--seeds", type=int, nargs="+", default=None, help="default: params seeds")
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument("--out", required=True, help="a folder laid out as a workflow folder, for arc diagnose pooled-gain")
    p.set_defaults(func=run_zero_fill)

    p = sub.add_parser("pooled-gain", help="per-image gains pooled over several benchmark instances (workflow folders), and their mean over instances with a two-level bootstrap")
    p.add_argument("--pair", dest="pairs", action="append", required=True, help="METHOD:BASELINE (repeatable)")
    p.add_argument("--params", default="params.yaml", help="each folder's settings (benchmark, protocol), relative to it")
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0, help="the bootstrap's seed")
    p.add_argument("folders", nargs="+", help="workflow folders (e.g. runs/premise_sweep/level3), each with its params and results")
    p.set_defaults(func=run_pooled_gain)

    p = sub.add_parser("instance-relation", help="across benchmark instances: what goes with A's masks paying (rank correlations)")
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0, help="the bootstrap's seed")
    p.add_argument("--out", default=None, help="CSV of the per-instance table")
    p.add_argument("summaries", nargs="+", help="premise-sweep level summaries (runs/premise_sweep/level<L>/summary.json), one per instance")
    p.set_defaults(func=run_instance_relation)

    p = sub.add_parser("recipe-real-val", help="real_val RMS-log of every row from training_curves.csv files")
    p.add_argument("curves", nargs="+", help="LABEL=path/to/training_curves.csv")
    p.set_defaults(func=run_real_val)

    p = sub.add_parser("recipe-seed-check", help="real_val / test numbers and Fig. 4 statistics of finished runs")
    p.add_argument("runs", nargs="+", help="LABEL=PATH of a working copy")
    p.add_argument("--benchmark", required=True)
    p.add_argument("--seeds", type=int, nargs="+", required=True)
    p.add_argument("--protocol", default=None, help="default: the benchmark's name (SynthRooms protocols)")
    p.add_argument("--rho", default="0.85")
    p.add_argument("--bootstrap", type=int, default=10000)
    p.set_defaults(func=run_seed_check)
