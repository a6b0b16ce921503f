"""``arc report {table,table4,premise,fig-rho,fig-per-sample,fig-qualitative,training-curves}``.

Every option the workflow would otherwise spell out defaults from params.yaml
(``--params``): method lists from ``rows``/``rho``/``rho_sweep``/``benchmark``,
the protocol from ``evaluation.protocol``, bootstrap size and example count
from ``evaluation``. The ``add_*_arguments`` / ``run_*`` pairs are reused by
workflow/scripts/report_*.py.
"""

from __future__ import annotations

import argparse

from arc.errors import ConfigError
from arc.evaluation.cli import load_params
from arc.evaluation.protocols import PROTOCOLS, get_protocol
from arc.reports.methods import BASELINE_METHODS, arc_full_method, sweep_methods, table_methods
from arc.reports.provenance import runs_behind_results, runs_under, write_report_provenance


def _scoped(run):
    """Reports read the seeds the settings name, not every seed folder on disk: stale results of an
    earlier ``seeds`` setting are ignored (the log says so)."""
    from functools import wraps

    @wraps(run)
    def wrapper(args):
        from arc.evaluation.results import seeds_in_scope

        with seeds_in_scope(load_params(args.params).get("seeds")):
            return run(args)

    return wrapper


def _protocol(args, params: dict) -> str:
    name = args.protocol or (params.get("evaluation") or {}).get("protocol")
    if not name:
        raise ConfigError("no protocol given: pass --protocol or --params with evaluation.protocol")
    get_protocol(name)  # fail early on an unknown name
    return name


def _arc_method(args, params: dict) -> str:
    if args.arc_method:
        return args.arc_method
    if params.get("rho") is None:
        raise ConfigError("pass --arc-method (e.g. arc_full-rho0.85) or --params with rho")
    return arc_full_method(params)


def _common(parser: argparse.ArgumentParser, out_help: str) -> None:
    parser.add_argument("--params", default=None, help="params.yaml (defaults for everything below)")
    parser.add_argument("--results", required=True, help="results/<benchmark> (holds seed<S>/<method>/)")
    parser.add_argument("--protocol", default=None, choices=sorted(PROTOCOLS),
                        help="protocol the results were evaluated with (default: params evaluation.protocol)")
    parser.add_argument("--out", required=True, help=out_help)


# ------------------------------------------------------------------- table


def add_table_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    _common(parser, "CSV to write (the .md, .json and _metrics.json go beside it)")
    parser.add_argument("--methods", nargs="+", default=None,
                        help="result names in row order (default: the Table-2 rows from params, + oracle_declutter on SynthRooms)")
    parser.add_argument("--paper-table", default="auto", choices=["auto", "table2", "table3", "none"],
                        help="paper table shown beside ours (auto: table2 indoor, table3 outdoor)")
    parser.add_argument("--md", default=None, help="Markdown path (default: <out>.md)")
    parser.add_argument("--json", default=None, help="JSON path (default: <out>.json)")
    parser.add_argument("--metrics-json", default=None,
                        help="headline metrics per row for `dvc metrics` (default: <out stem>_metrics.json)")
    parser.add_argument("--allow-missing", action="store_true", help="skip methods without results instead of failing")
    parser.add_argument("--also-protocol", dest="also_protocols", action="append", default=None,
                        choices=sorted(PROTOCOLS), metavar="PROTOCOL",
                        help="also write the table under this protocol, as <out stem>.<protocol>.csv/.md/.json "
                             "(repeatable; default: params evaluation.also_protocols)")
    return parser


@_scoped
def run_table(args: argparse.Namespace) -> int:
    from arc.evaluation.cli import also_protocol_names_of
    from arc.reports.tables import write_main_table

    params = load_params(args.params)
    methods = args.methods or (table_methods(params) if params else None)
    if not methods:
        raise ConfigError("pass --methods or --params (the rows to tabulate)")
    protocol = _protocol(args, params)
    also = also_protocol_names_of(args, params, protocol)
    table = write_main_table(
        args.results, methods, protocol, args.out, params=params,
        paper_table=None if args.paper_table == "none" else args.paper_table,
        md_path=args.md, json_path=args.json, metrics_path=args.metrics_json, allow_missing=args.allow_missing,
        also_protocols=also,
    )
    write_report_provenance(args.out, runs_behind_results(args.results, methods))
    print(f"wrote {args.out} ({len(table)} rows, {int(table['n_seeds'].max())} seeds max)"
          + (f"; the same table under {', '.join(also)} beside it" if also else ""))
    return 0


# ------------------------------------------------------------------ table4


def add_table4_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    _common(parser, "CSV to write (the .md goes beside it)")
    parser.add_argument("--split", required=True, help="the test cache split the results were computed on")
    parser.add_argument("--arc-method", default=None, help="default: arc_full-rho<params rho>")
    parser.add_argument("--baseline-method", default="mix")
    parser.add_argument("--md", default=None, help="Markdown path (default: <out>.md)")
    parser.add_argument("--no-crop", action="store_true", help="cached frames are already cropped to the protocol's region")
    return parser


@_scoped
def run_table4(args: argparse.Namespace) -> int:
    from arc.reports.regions import build_table4
    from arc.reports.tables import write_table4

    params = load_params(args.params)
    protocol = get_protocol(_protocol(args, params), crop=not args.no_crop)
    arc_method = _arc_method(args, params)
    table = build_table4(args.results, args.split, protocol, arc_method=arc_method,
                         baseline_method=args.baseline_method, params=params)
    write_table4(table, protocol, args.out, args.md)
    write_report_provenance(args.out, runs_behind_results(args.results, [args.baseline_method, arc_method]))
    print(f"wrote {args.out} ({len(table)} rows)")
    return 0


# ----------------------------------------------------------------- premise


def add_premise_report_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--params", required=True, help="params.yaml (rows, seeds, rho, training.attention.depth_row)")
    parser.add_argument("--runs", required=True, help="runs/<benchmark> (holds seed<S>/<stage folder>/checkpoint.pt)")
    parser.add_argument("--split", required=True, help="a SynthRooms real split, normally data/cache/<benchmark>/real_val")
    parser.add_argument("--protocol", default=None, choices=sorted(PROTOCOLS), help="default: params evaluation.protocol")
    parser.add_argument("--out", required=True, help="CSV to write (the .md and .json go beside it)")
    return parser


@_scoped
def run_premise_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from arc.reports.premise_report import build_premise_report, premise_settings, write_premise_report

    params = load_params(args.params)
    seeds = [int(s) for s in params["seeds"]]
    frame = build_premise_report(params, args.runs, args.split, get_protocol(_protocol(args, params)), seeds)
    write_premise_report(frame, args.out, Path(args.split).name)
    folders = [f for s in premise_settings(params) for f in s.folders()]
    write_report_provenance(args.out, runs_under(args.runs, seeds, folders))
    print(f"wrote {args.out} ({frame['setting'].nunique()} settings x {len(seeds)} seed(s))")
    return 0


# ----------------------------------------------------------------- fig-rho


def add_fig_rho_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    _common(parser, "PNG to write (the CSV goes beside it)")
    parser.add_argument("--sweep-methods", nargs="+", default=None,
                        help="default: arc_full-rho<R> for R in params rho_sweep")
    parser.add_argument("--baselines", nargs="+", default=list(BASELINE_METHODS))
    parser.add_argument("--csv", default=None, help="CSV path (default: <out>.csv)")
    return parser


@_scoped
def run_fig_rho(args: argparse.Namespace) -> int:
    from arc.reports.figures import write_fig_rho

    params = load_params(args.params)
    sweep = args.sweep_methods or sweep_methods(params)
    if not sweep:
        raise ConfigError("pass --sweep-methods or --params with rho_sweep")
    table = write_fig_rho(args.results, sweep, args.baselines, _protocol(args, params), args.out,
                          out_csv=args.csv, params=params)
    write_report_provenance(args.out, runs_behind_results(args.results, [*args.baselines, *sweep]))
    print(f"wrote {args.out} ({int((table['kind'] == 'sweep').sum())} rho values)")
    return 0


# ---------------------------------------------------------- fig-per-sample


def add_fig_per_sample_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    _common(parser, "PNG of Fig. 4 (CSV, JSON summary and the Fig.-11 PNG go beside it)")
    parser.add_argument("--arc-method", default=None, help="default: arc_full-rho<params rho>")
    parser.add_argument("--baseline", "--baseline-method", dest="baseline_method", default="mix",
                        help="the row ARC is compared with: any method of the main table (mix, real_only, t2net, "
                             "crdoco, gasda, ...; rows with A carry their -rho suffix); default mix")
    parser.add_argument("--combine", choices=["mean", "pool"], default="mean",
                        help="mean: per-image values averaged over seeds; pool: every (seed, image) pair")
    parser.add_argument("--bootstrap-samples", type=int, default=None, help="default: params evaluation.bootstrap_samples, else 2000")
    parser.add_argument("--bootstrap-seed", type=int, default=None, help="default: params seed, else 0")
    parser.add_argument("--csv", default=None)
    parser.add_argument("--by-baseline-out", default=None, help="Fig.-11 PNG (default: <out stem>_by_baseline.png)")
    parser.add_argument("--summary-json", default=None, help="default: <out>.json")
    return parser


@_scoped
def run_fig_per_sample(args: argparse.Namespace) -> int:
    from arc.reports.figures import write_fig_per_sample

    params = load_params(args.params)
    choices = table_methods(params) if (params or {}).get("rows") else None
    if choices is not None and args.baseline_method not in choices:
        raise ConfigError(f"--baseline {args.baseline_method!r}: expected a method of the table in {args.params}: {', '.join(choices)}")
    n_bootstrap = args.bootstrap_samples or (params.get("evaluation") or {}).get("bootstrap_samples") or 2000
    seed = args.bootstrap_seed if args.bootstrap_seed is not None else int(params.get("seed", 0))
    arc_method = _arc_method(args, params)
    summary = write_fig_per_sample(
        args.results, arc_method, args.baseline_method, _protocol(args, params), args.out,
        out_csv=args.csv, by_baseline_png=args.by_baseline_out, summary_json=args.summary_json,
        combine=args.combine, n_bootstrap=int(n_bootstrap), seed=seed, params=params,
    )
    write_report_provenance(args.out, runs_behind_results(args.results, [args.baseline_method, arc_method]))
    print(f"wrote {args.out}: {summary['fraction_improved']:.0%} of {summary['n']} images improved, mean gain "
          f"{summary['mean_gain']:+.4f} (95% CI {summary['ci95_low']:+.4f} … {summary['ci95_high']:+.4f})")
    return 0


# --------------------------------------------------------- fig-qualitative


def add_fig_qualitative_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    _common(parser, "PNG to write")
    parser.add_argument("--arc", "--arc-checkpoint", dest="arc_checkpoint", required=True, help="ARC checkpoint.pt")
    parser.add_argument("--mix", "--mix-checkpoint", dest="mix_checkpoint", required=True, help="mix-training checkpoint.pt")
    parser.add_argument("--split", required=True, help="test cache split")
    parser.add_argument("--arc-method", default=None, help="result name of the ARC checkpoint (default: arc_full-rho<params rho>)")
    parser.add_argument("--baseline-method", default="mix")
    parser.add_argument("--seed", type=int, default=None, help="seed of both checkpoints (default: first of params seeds)")
    parser.add_argument("--n-examples", type=int, default=None, help="rows: best/median/worst split (default: params evaluation.qualitative_examples, else 3)")
    parser.add_argument("--device", default=None, help="auto | cpu | cuda (default: cpu; the workflow's report job requests no GPU)")
    return parser


@_scoped
def run_fig_qualitative(args: argparse.Namespace) -> int:
    from pathlib import Path

    from arc.evaluation.predict import resolve_device
    from arc.reports.qualitative import write_fig_qualitative

    params = load_params(args.params)
    seed = args.seed if args.seed is not None else (params.get("seeds") or [None])[0]
    if seed is None:
        raise ConfigError("pass --seed (the seed of both checkpoints) or --params with seeds")
    n_examples = args.n_examples or (params.get("evaluation") or {}).get("qualitative_examples") or 3
    # On the CPU unless asked: a handful of images, and a report job requests no GPU (workflow/rules/reports.smk)
    device = resolve_device(args.device or "cpu")
    examples = write_fig_qualitative(
        args.arc_checkpoint, args.mix_checkpoint, args.split, args.results, args.out,
        arc_method=_arc_method(args, params), baseline_method=args.baseline_method,
        protocol=_protocol(args, params), seed=int(seed), n_examples=int(n_examples), device=device, params=params,
    )
    # The figure draws these two checkpoints' predictions, made here on ``device``.
    checkpoints = [Path(args.mix_checkpoint).parent, Path(args.arc_checkpoint).parent]
    write_report_provenance(args.out, checkpoints, device=device)
    print(f"wrote {args.out} ({', '.join(f'{e.group} {e.name}' for e in examples)})")
    return 0


# --------------------------------------------------------- training-curves


def add_training_curves_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--params", default=None, help="params.yaml (defaults for the options below)")
    parser.add_argument("--runs", required=True, help="runs/<benchmark> (holds seed<S>/<stage>/log.csv, val.csv)")
    parser.add_argument("--out", required=True, help="PNG to write (the CSV goes beside it)")
    parser.add_argument("--seeds", nargs="+", type=int, default=None, help="default: params seeds")
    parser.add_argument("--names", nargs="+", default=None,
                        help="stage folders to draw (default: every stage the preset's DAG trains, from params rows, rho and rho_sweep)")
    parser.add_argument("--csv", default=None, help="CSV path (default: <out>.csv)")
    return parser


@_scoped
def run_training_curves(args: argparse.Namespace) -> int:
    from arc.reports.training_curves import expected_runs, write_training_curves

    params = load_params(args.params)
    seeds = args.seeds or params.get("seeds")
    if not seeds:
        raise ConfigError("pass --seeds or --params with seeds")
    names = args.names or (expected_runs(params) if params else None)
    if not names:
        raise ConfigError("pass --names (stage folders under <runs>/seed<S>/) or --params with rows")
    metric = ((params.get("training") or {}).get("validation") or {}).get("metric")
    title = None
    if params.get("benchmark"):
        title = (f"Training curves: {params['benchmark']} ({params.get('preset', 'custom')} preset), "
                 f"{len(names)} stages x {len(seeds)} seed(s)")
    table = write_training_curves(args.runs, args.out, seeds=[int(s) for s in seeds], names=names,
                                  validation_metric=metric, out_csv=args.csv, title=title)
    write_report_provenance(args.out, runs_under(args.runs, [int(s) for s in seeds], names))
    print(f"wrote {args.out} ({table['panel_order'].nunique()} panels, {len(names)} stages x {len(seeds)} seed(s))")
    return 0


def register(subparsers) -> None:
    report = subparsers.add_parser("report", help="tables and figures from results/<benchmark>")
    sub = report.add_subparsers(dest="report_command", required=True)
    commands = [
        ("table", "Table 2/3: one row per method, mean ± std over seeds, paper numbers beside",
         add_table_arguments, run_table),
        ("table4", "Table 4: ARC vs mix inside/outside ARC's mask (and the true clutter mask)",
         add_table4_arguments, run_table4),
        ("premise", "the benchmark's premise for this run's networks: fixed D's error on counterfactual inputs",
         add_premise_report_arguments, run_premise_report),
        ("fig-rho", "Fig. 3/7/8: metrics vs rho with baselines", add_fig_rho_arguments, run_fig_rho),
        ("fig-per-sample", "Fig. 4/11: per-sample RMS-log gain of ARC over mix + bootstrap CI",
         add_fig_per_sample_arguments, run_fig_per_sample),
        ("fig-qualitative", "Fig. 5/6: input, T(x), mask, inpainted, depths, ground truth",
         add_fig_qualitative_arguments, run_fig_qualitative),
        ("training-curves", "loss and validation metric per epoch, one panel per training stage and seed",
         add_training_curves_arguments, run_training_curves),
    ]
    for name, help_text, add_arguments, run in commands:
        parser = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(parser)
        parser.set_defaults(func=run)
