"""`arc train <stage>`, `arc train row`, `arc train plan` and `arc declutter`.

The workflow's thin scripts reuse the same parser and runner through the one error path
(``arc.utils.entrypoint.run_cli``: --log mirroring, ArcError -> one line + exit 2):
    sys.exit(run_cli(partial(build_stage_parser, "depth"), partial(run_stage, "depth"), __doc__))
``main_stage("depth")`` is the same call in one word.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Sequence

from functools import partial

from arc.settings import setting
from arc.stage_table import STAGE_KINDS

# Every stage's help line and checkpoint flags: the stage table.
STAGE_HELP = {name: kind.help for name, kind in STAGE_KINDS.items()}


def _add_common(parser: argparse.ArgumentParser, *, out_help: str) -> None:
    parser.add_argument("--params", default="params.yaml", help="settings file (default: params.yaml)")
    parser.add_argument("--data", default=None, help="benchmark cache folder (default: <data.cache_root>/<benchmark> from params)")
    parser.add_argument("--seed", type=int, default=0, help="training seed (one DAG branch per seed; default 0)")
    parser.add_argument("--out", required=True, help=out_help)
    parser.add_argument("--no-resume", action="store_true", help="ignore an existing last.pt and train from scratch")
    parser.add_argument("--log", default=None, help="also write stdout/stderr to this file")


def build_stage_parser(stage: str, parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The arguments of `arc train <stage>` (added to ``parser`` or a new one)."""
    if stage not in STAGE_HELP:
        raise ValueError(f"unknown stage {stage!r}")
    parser = parser or argparse.ArgumentParser(prog=f"arc train {stage}", description=STAGE_HELP[stage])
    _add_common(parser, out_help="stage folder: checkpoint.pt, last.pt, log.csv, val.csv, summary.json")
    if stage == "depth":
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--source", choices=("syn", "real", "mix"), help="training images (default: from --row)")
        group.add_argument("--row", help="take the source from rows.<ROW>.depth_source")
    if stage in ("attention", "joint"):
        parser.add_argument("--rho", type=float, default=None, help="fraction of pixels KEPT, 0 < rho < 1 (default: params rho)")
    if stage == "finetune":
        parser.add_argument("--row", required=True, help="Table-2 row (rows.<ROW> in params) whose modules are finetuned")
    for flag in STAGE_KINDS[stage].flags:
        parser.add_argument(f"--{flag.name}", required=flag.required, metavar="CKPT", help=f"{flag.help}; a run folder means its checkpoint.pt")
    return parser


def _load_params(path: str) -> dict:
    from arc.config import load_params

    return load_params(path, check_paths=False)


def _data_dir(args, params: dict) -> Path:
    if args.data:
        return Path(args.data)
    root = setting(params, "data.cache_root")
    return Path(root) / params["benchmark"]


def run_stage(stage: str, args: argparse.Namespace) -> dict:
    """Run one stage from parsed arguments; returns its summary.

    --log mirroring and error reporting belong to the caller (``arc.utils.entrypoint.run_parsed``).
    """
    from arc.training.stages import get_stage

    params = _load_params(args.params)
    kwargs = {flag.name: getattr(args, flag.name) for flag in STAGE_KINDS[stage].flags}
    for option in ("source", "row", "rho"):
        if hasattr(args, option):
            kwargs[option] = getattr(args, option)
    summary = get_stage(stage).run(
        params, data_dir=_data_dir(args, params), seed=args.seed, out_dir=args.out, resume=not args.no_resume, **kwargs
    )
    print(json.dumps({k: summary[k] for k in ("stage", "steps", "seconds", "selected_epoch", "val")}))
    return summary


def main_stage(stage: str, argv: Sequence[str] | None = None) -> int:
    """`arc train <stage>` for a workflow script: the shared entry point with this stage's parser and runner."""
    from arc.utils.entrypoint import run_cli

    return run_cli(partial(build_stage_parser, stage), partial(run_stage, stage), STAGE_HELP[stage], argv)


def _cmd_row(args) -> int:
    from arc.training.rows import run_row

    params = _load_params(args.params)
    summaries = run_row(params, args.row, data_dir=_data_dir(args, params), seed=args.seed, root=args.out, rho=args.rho, resume=not args.no_resume)
    for name, s in summaries.items():
        print(f"{name:24s} {s['stage']:11s} {s['steps']:6d} steps {s['seconds']:9.1f} s  val {json.dumps(s['val'])}")
    return 0


def _cmd_plan(args) -> int:
    from arc.training.rows import plan_row

    params = _load_params(args.params)
    print(json.dumps([s.to_dict() for s in plan_row(params, args.row, rho=args.rho)], indent=2))
    return 0


def _cmd_declutter(args) -> int:
    from arc.training.declutter import declutter

    written = declutter(args.checkpoint, args.images, args.out, height=args.height, width=args.width, device=args.device)
    print(f"wrote mask, decluttered image and depth for {len(written)} image(s) to {args.out}")
    return 0


def register(subparsers) -> None:
    train = subparsers.add_parser("train", help="train one stage, or every stage of a Table-2 row")
    stages = train.add_subparsers(dest="stage", required=True)
    for stage, help_text in STAGE_HELP.items():
        p = stages.add_parser(stage, help=help_text, description=help_text)
        build_stage_parser(stage, p)
        p.set_defaults(func=partial(run_stage, stage))

    row = stages.add_parser("row", help="train a row's stages in order into OUT/<stage folder> (finished stages are reused)")
    _add_common(row, out_help="root folder (e.g. runs/<benchmark>/seed<S>); each stage gets a sub-folder")
    row.add_argument("--row", required=True, help="row name in params rows")
    row.add_argument("--rho", type=float, default=None, help="override rho for rows with A")
    row.set_defaults(func=_cmd_row)

    plan = stages.add_parser("plan", help="print a row's stages, folders and upstream checkpoints as JSON")
    plan.add_argument("--params", default="params.yaml")
    plan.add_argument("--row", required=True)
    plan.add_argument("--rho", type=float, default=None)
    plan.set_defaults(func=_cmd_plan)

    dec = subparsers.add_parser(
        "declutter",
        help="apply a trained pipeline to images: mask, decluttered image, depth",
        description=(
            "Per input image NAME writes NAME_mask.png (8-bit, 255 = pixel kept, 0 = removed by A; all 255 without A), "
            "NAME_decluttered.png (the translated + inpainted image D sees) and NAME_depth.png "
            "(16-bit PNG, depth in MILLIMETRES: metres = value / 1000). Outputs have the network input size."
        ),
    )
    dec.add_argument("--checkpoint", required=True, help="run folder (uses its checkpoint.pt) or checkpoint file")
    dec.add_argument("--images", required=True, nargs="+", help="image files and/or folders of images")
    dec.add_argument("--out", required=True, help="output folder")
    dec.add_argument("--height", type=int, default=None, help="network input height (default: the training size)")
    dec.add_argument("--width", type=int, default=None, help="network input width (default: the training size)")
    dec.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    dec.set_defaults(func=_cmd_declutter)
