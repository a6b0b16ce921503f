"""``arc evaluate`` (folders of depth maps) and ``arc predict`` (checkpoint over a cache split).

The ``add_*_arguments`` / ``run_*`` pairs are reused by the workflow's thin
scripts (workflow/scripts/evaluate.py), so the CLI and the pipeline share one
argument list.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from arc.errors import ConfigError
from arc.evaluation.evaluate import DEFAULT_SCALE_TOLERANCE, evaluate_folders
from arc.evaluation.metrics import METRIC_KEYS, METRIC_LABELS
from arc.evaluation.protocols import PROTOCOLS, get_protocol
from arc.evaluation.results import write_per_sample_csv


def load_params(path: str | Path | None) -> dict:
    """The settings ({} when no path is given), read as every command reads them
    (``arc.config.read_settings``: strict YAML, params.local.yaml merged, validated when whole)."""
    if path is None:
        return {}
    from arc.config import read_settings

    return read_settings(path)


def _positive_float(text: str) -> float:
    try:
        value = float(eval_fraction(text))
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"expected a positive number (or a fraction like 1/256), got {text!r}")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a factor > 1 (or inf), got {text!r}") from None
    if not value > 1:
        raise argparse.ArgumentTypeError(f"expected a factor > 1 (inf switches the unit check off), got {text!r}")
    return value


def eval_fraction(text: str) -> float:
    """'0.001' or '1/256' -> float (scales are often quoted as fractions)."""
    if "/" in text:
        num, _, den = text.partition("/")
        return float(num) / float(den)
    return float(text)


def format_metrics_line(metrics: dict[str, float]) -> str:
    return "  ".join(f"{METRIC_LABELS[k]} {metrics[k]:.4f}" for k in METRIC_KEYS)


# ---------------------------------------------------------------- arc evaluate


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--pred", required=True, help="folder of predicted depth maps (.npy metres or 16-bit .png)")
    parser.add_argument("--gt", required=True, help="folder of ground-truth depth maps, matched by file stem")
    parser.add_argument("--protocol", required=True, choices=sorted(PROTOCOLS), help="evaluation protocol")
    parser.add_argument("--pred-scale", type=_positive_float, default=None,
                        help="metres per stored unit of the predictions (default 1 for .npy; required for .png)")
    parser.add_argument("--gt-scale", type=_positive_float, default=None,
                        help="metres per stored unit of the ground truth (e.g. 0.001 for mm PNG, 1/256 for KITTI)")
    parser.add_argument("--no-crop", action="store_true",
                        help="frames were already cropped to the protocol's region: skip its crop")
    parser.add_argument("--scale-tolerance", type=_tolerance, default=DEFAULT_SCALE_TOLERANCE,
                        help="fail when median pred / median gt is outside [1/x, x]; x > 1, inf switches the "
                             "check off (default %(default)s)")
    parser.add_argument("--per-sample", default=None, help="also write per-image metrics to this CSV")
    parser.add_argument("--resize", choices=("nearest", "bilinear"), default=None,
                        help="resize predictions of another size to their ground truth's (default: a size mismatch is an error)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def run_evaluate(args: argparse.Namespace) -> int:
    protocol = get_protocol(args.protocol, crop=not args.no_crop)
    result = evaluate_folders(
        args.pred,
        args.gt,
        protocol,
        pred_scale=args.pred_scale,
        gt_scale=args.gt_scale,
        scale_tolerance=args.scale_tolerance,
        resize=args.resize,
    )
    if args.per_sample:
        write_per_sample_csv(args.per_sample, result.per_sample)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(f"protocol {protocol.name} ({protocol.description}); "
              f"{result.n_valid_images}/{result.n_images} images with valid pixels"
              + (f"; predictions resized to the ground truth's size ({result.resized})" if result.resized else ""))
        print(format_metrics_line(result.metrics))
    return 0


# ----------------------------------------------------------------- arc predict


def add_predict_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--params", default=None, help="params.yaml (protocol, rho, device, batch size defaults)")
    parser.add_argument("--checkpoint", required=True, help="checkpoint.pt of the row to evaluate")
    parser.add_argument("--split", required=True, help="cache split folder, e.g. data/cache/<benchmark>/real_test")
    parser.add_argument("--method", required=True, help="method name (syn_only ... arc_full, oracle_declutter, arc_full-rho<R>)")
    parser.add_argument("--seed", required=True, type=int, help="training seed of the checkpoint")
    parser.add_argument("--protocol", default=None, choices=sorted(PROTOCOLS),
                        help="evaluation protocol (default: params evaluation.protocol)")
    parser.add_argument("--also-protocol", dest="also_protocols", action="append", default=None,
                        choices=sorted(PROTOCOLS), metavar="PROTOCOL",
                        help="also score the predictions under this protocol (repeatable; default: params "
                             "evaluation.also_protocols)")
    parser.add_argument("--out", required=True, help="results folder to write: results/<benchmark>/seed<S>/<method>")
    parser.add_argument("--rho", type=float, default=None,
                        help="sparsity the row was trained with, recorded for rows with A (default: the checkpoint's, "
                             "else the -rho<R> suffix, else params rho)")
    parser.add_argument("--input-array", default=None,
                        help="cache array fed to the pipeline (default: clean_rgb for oracle_declutter, else rgb)")
    parser.add_argument("--batch-size", type=int, default=None, help="default: params optim.batch_size, else 16")
    parser.add_argument("--device", default=None, help="auto | cpu | cuda (default: params runtime.device, else auto)")
    parser.add_argument("--no-crop", action="store_true",
                        help="cached frames were already cropped to the protocol's region: skip its crop")
    return parser


def protocol_name_of(args: argparse.Namespace, params: dict) -> str:
    """--protocol, else params evaluation.protocol; one of them is required."""
    name = args.protocol or (params.get("evaluation") or {}).get("protocol")
    if name is None:
        raise ConfigError("no protocol given: pass --protocol or set evaluation.protocol in params.yaml")
    return name


def also_protocol_names_of(args: argparse.Namespace, params: dict, primary: str) -> list[str]:
    """--also-protocol (repeated), else params evaluation.also_protocols; never the primary, no repeats."""
    given = getattr(args, "also_protocols", None)
    names = list(given if given is not None else (params.get("evaluation") or {}).get("also_protocols") or [])
    where = "--also-protocol" if given is not None else "evaluation.also_protocols"
    if primary in names:
        raise ConfigError(f"{where} lists {primary!r}, the primary protocol, which is scored anyway; "
                          "expected other protocols only")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"{where} lists {', '.join(map(repr, repeated))} more than once; expected each protocol once")
    return names


def run_predict(args: argparse.Namespace) -> int:
    from arc.evaluation.predict import predict_checkpoint

    params = load_params(args.params)
    protocol_name = protocol_name_of(args, params)
    runtime = params.get("runtime") or {}
    if runtime.get("num_threads"):
        import torch

        torch.set_num_threads(int(runtime["num_threads"]))
    batch_size = args.batch_size or (params.get("optim") or {}).get("batch_size") or 16
    also = [get_protocol(n, crop=not args.no_crop) for n in also_protocol_names_of(args, params, protocol_name)]
    info = predict_checkpoint(
        args.checkpoint,
        args.split,
        args.out,
        method=args.method,
        seed=args.seed,
        protocol=get_protocol(protocol_name, crop=not args.no_crop),
        rho=args.rho,
        batch_size=int(batch_size),
        device=args.device or runtime.get("device") or "auto",
        input_array=args.input_array,
        params=params,
        also_protocols=also,
    )
    extra = f"  keep_rate {info['keep_rate']:.3f}" if "keep_rate" in info else ""
    if info.get("mask_iou") is not None:
        extra += f"  mask_iou {info['mask_iou']:.3f}"
    print(f"{args.method} seed {args.seed} on {info['n_images']} images ({info['protocol']}): "
          f"{format_metrics_line(info['metrics'])}{extra}")
    for name, block in (info.get("also_protocols") or {}).items():
        print(f"  also under {name}: {format_metrics_line(block['metrics'])}")
    print(f"wrote {args.out}")
    return 0


def add_premise_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--params", default=None, help="params.yaml (protocol and seed defaults)")
    parser.add_argument("--depth", required=True, nargs="+", help="checkpoint(s) whose depth net D is measured")
    parser.add_argument("--split", required=True, help="a SynthRooms real split, e.g. data/cache/<benchmark>/real_val")
    parser.add_argument("--translator", default=None, help="also measure D on T(x) with this checkpoint's translator")
    parser.add_argument("--attention", default=None,
                        help="also remove what this checkpoint's A removes at test time (compare with clutter_removed "
                             "for the D that A was trained against)")
    parser.add_argument("--protocol", default=None, choices=sorted(PROTOCOLS), help="default: params evaluation.protocol")
    parser.add_argument("--seed", type=int, default=None, help="seed of the scattered/shifted masks (default: params seed)")
    parser.add_argument("--out", default=None, help="write the result as JSON here")
    return parser


def run_premise(args: argparse.Namespace) -> int:
    import torch

    from arc.evaluation.premise import format_premise, measure_premise
    from arc.training.checkpoint import load_module
    from arc.utils.atomic import atomic_write_json

    params = load_params(args.params)
    protocol_name = protocol_name_of(args, params)
    torch.set_num_threads(int((params.get("runtime") or {}).get("num_threads") or 1))
    translator = None
    if args.translator:
        translator = load_module(args.translator, "translator", needed_for="arc premise --translator")
    attention = None
    if args.attention:
        attention = load_module(args.attention, "attention", needed_for="arc premise --attention")
    results = {}
    for path in args.depth:
        depth = load_module(path, "depth", needed_for="arc premise --depth")
        seed = args.seed if args.seed is not None else int(params.get("seed", 0))
        for label, t in (("as given", None), ("through T", translator)) if translator is not None else (("as given", None),):
            result = measure_premise(depth, args.split, get_protocol(protocol_name), seed=seed, translator=t,
                                     attention=attention)
            results[f"{path} ({label})"] = result
            print(format_premise(result, f"D of {path}"))
    if args.out:
        atomic_write_json(args.out, results)
        print(f"wrote {args.out}")
    return 0


def register(subparsers) -> None:
    premise = subparsers.add_parser(
        "premise", help="measure ARC's premise on a SynthRooms split: D's error on counterfactual inputs",
        description="Feeds a fixed D the image as captured, the clutter-free twin, the clutter removed, the same "
                    "area removed elsewhere, ... (arc.evaluation.premise). Run it on real_val.",
    )
    add_premise_arguments(premise)
    premise.set_defaults(func=run_premise)

    evaluate = subparsers.add_parser(
        "evaluate", help="evaluate a folder of depth maps against ground truth",
        description="Score predicted depth maps against ground truth matched by file stem.",
    )
    add_evaluate_arguments(evaluate)
    evaluate.set_defaults(func=run_evaluate)

    predict = subparsers.add_parser(
        "predict", help="run a checkpoint over a cache split and write its results folder",
        description="Writes metrics.json, per_sample.csv, pred/<name>.npy (float16 m) and mask/<name>.png; "
                    "with also-protocols, their metrics in metrics.json and per_sample.<protocol>.csv.",
    )
    add_predict_arguments(predict)
    predict.set_defaults(func=run_predict)
