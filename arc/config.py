"""Load and validate params.yaml, the one source of every setting; switch presets.

Validation happens before any work starts: the JSON schema (arc/params.schema.json)
checks keys, types and ranges; ``_check_semantics`` checks what a schema cannot
(rho is one of the sweep values, dataset paths of a real-data preset exist, ...).
Every message names the file, the key and the allowed values.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from arc.errors import ConfigError
from arc.training.stages import PEER_STAGES, check_peer_row

SCHEMA_PATH = Path(__file__).with_name("params.schema.json")
PRESET_DIR = Path("configs")
# The DAG (Snakefile and dvc.yaml) has one branch per row under these names.
TABLE_ROWS = ("syn_only", "real_only", "mix", "arc_t", "arc_a", "arc_at", "arc_ai", "arc_full", *PEER_STAGES)
SYNTHROOMS_FAMILY = {"synthrooms-indoor": "indoor", "synthrooms-outdoor": "outdoor"}


@lru_cache(maxsize=1)
def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def _key_path(error) -> str:
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "(top level)"


def _describe_schema_error(error, source: str) -> str:
    key = _key_path(error)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        where = f"{key}." if key != "(top level)" else ""
        return f"{source}: missing key '{where}{missing}'"
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(schema.get("properties", {}))) or "none"
        return f"{source}: key '{key}': {error.message}; allowed keys: {allowed}"
    if error.validator == "enum":
        allowed = ", ".join(map(repr, error.validator_value))
        return f"{source}: key '{key}' = {error.instance!r} is not allowed; allowed values: {allowed}"
    if error.validator in ("exclusiveMinimum", "exclusiveMaximum", "minimum", "maximum"):
        lo = schema.get("minimum", schema.get("exclusiveMinimum"))
        hi = schema.get("maximum", schema.get("exclusiveMaximum"))
        lo_txt = ("> " if "exclusiveMinimum" in schema else ">= ") + str(lo) if lo is not None else ""
        hi_txt = ("< " if "exclusiveMaximum" in schema else "<= ") + str(hi) if hi is not None else ""
        allowed = " and ".join(t for t in (lo_txt, hi_txt) if t)
        return f"{source}: key '{key}' = {error.instance!r} is out of range; allowed values: {allowed}"
    return f"{source}: key '{key}': {error.message}"


def validate_params(params: dict, source: str = "params.yaml", check_paths: bool = True) -> dict:
    """Raise ConfigError (naming the key and allowed values) unless ``params`` is valid."""
    import jsonschema

    if not isinstance(params, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level, got {type(params).__name__}")
    _check_finite(params, source)
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(params), key=lambda e: (len(list(e.absolute_path)), str(list(e.absolute_path))))
    if errors:
        raise ConfigError(_describe_schema_error(errors[0], source))
    _check_semantics(params, source, check_paths)
    return params


def _check_finite(node: Any, source: str, key: str = "") -> None:
    """No NaN or infinity anywhere: NaN passes every range check of the schema (each comparison is
    False), and a NaN rho would even yield a DAG branch and a report that look current."""
    if isinstance(node, dict):
        for name, value in node.items():
            _check_finite(value, source, f"{key}.{name}" if key else str(name))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_finite(value, source, f"{key}[{i}]")
    elif isinstance(node, float) and not math.isfinite(node):
        raise ConfigError(f"{source}: key '{key}' = {node} is not a finite number; expected a finite value")


def _check_semantics(params: dict, source: str, check_paths: bool) -> None:
    rows = params["rows"]
    missing_rows = [r for r in TABLE_ROWS if r not in rows]
    if missing_rows:
        raise ConfigError(f"{source}: key 'rows' lacks {', '.join(missing_rows)}; the DAG expects rows {', '.join(TABLE_ROWS)}")
    stage_needs = {"attention": "A", "inpainting": "I", "translator": "T"}
    for name, row in rows.items():
        if row["stages"][-1] in PEER_STAGES:
            check_peer_row(row, f"{source}: rows.{name}")
            continue
        if row["stages"][0] != "depth":
            raise ConfigError(f"{source}: key 'rows.{name}.stages' must start with 'depth' (D is pretrained first)")
        for stage, module in stage_needs.items():
            if stage in row["stages"] and module not in row["modules"]:
                raise ConfigError(f"{source}: key 'rows.{name}.stages' trains '{stage}' but 'rows.{name}.modules' lacks {module}")
        if "I" in row["modules"] and "A" not in row["modules"]:
            raise ConfigError(f"{source}: key 'rows.{name}.modules': I (inpainting) needs A (its holes come from A)")
    if params["rho"] not in params["rho_sweep"]:
        raise ConfigError(
            f"{source}: key 'rho' = {params['rho']} must be one of 'rho_sweep' {params['rho_sweep']} "
            "(the Table-2 ARC:full row is the sweep branch at rho)")
    tau = params["training"]["attention"]
    if tau["tau_end"] > tau["tau_start"]:
        raise ConfigError(f"{source}: key 'training.attention.tau_end' = {tau['tau_end']} must be <= tau_start = {tau['tau_start']}")
    if check_paths:
        _check_dataset_paths(params, source)


def required_dataset_paths(params: dict) -> dict[str, Any]:
    """The params keys naming files/folders the chosen benchmark reads."""
    d, bench = params["data"], params["benchmark"]
    if bench == "nyu-pbrs":
        return {"data.nyu.raw_root": d["nyu"]["raw_root"], "data.nyu.labeled_mat": d["nyu"]["labeled_mat"],
                "data.nyu.splits_mat": d["nyu"]["splits_mat"], "data.nyu.train_pool_list": d["nyu"]["train_pool_list"],
                "data.pbrs.root": d["pbrs"]["root"]}
    if bench == "kitti-vkitti":
        paths = {"data.kitti.root": d["kitti"]["root"], "data.kitti.test_list": d["kitti"]["test_list"],
                 "data.vkitti.root": d["vkitti"]["root"]}
        if d["kitti"].get("depth_root") is not None:  # optional: found beside the raw folder otherwise
            paths["data.kitti.depth_root"] = d["kitti"]["depth_root"]
        return paths
    return {}


def _check_dataset_paths(params: dict, source: str) -> None:
    for key, value in required_dataset_paths(params).items():
        if value is None:
            raise ConfigError(f"{source}: key '{key}' is null, but benchmark '{params['benchmark']}' needs it; "
                              "set it to the path of your download (see docs/real-data.md)")
        if not Path(value).exists():
            raise ConfigError(f"{source}: key '{key}' = '{value}' does not exist; "
                              f"benchmark '{params['benchmark']}' reads it (see docs/real-data.md)")
    if params["benchmark"] in ("nyu-pbrs", "kitti-vkitti") and "real_size" not in params["data"]:
        raise ConfigError(f"{source}: missing key 'data.real_size' (height, width the real-data benchmark is resized to)")


def load_params(path: str | Path = "params.yaml", check_paths: bool = True) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: settings file not found (run from the repository root, or pass --params)")
    try:
        params = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return validate_params(params, str(path), check_paths)


def benchmark_size(params: dict) -> tuple[int, int]:
    """(height, width) the chosen benchmark is cached at."""
    bench = params["benchmark"]
    if bench in SYNTHROOMS_FAMILY:
        fam = params["data"]["synthrooms"][SYNTHROOMS_FAMILY[bench]]
        return fam["height"], fam["width"]
    size = params["data"]["real_size"]
    return size["height"], size["width"]


def rho_tag(rho: float) -> str:
    """The rho part of run/result folder names; identical to how DVC prints the float."""
    return f"rho{rho}"


# --------------------------------------------------------------------------- CLI

def list_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def use_preset(name: str, target: Path = Path("params.yaml")) -> Path:
    src = PRESET_DIR / f"{name}.yaml"
    if not src.is_file():
        raise ConfigError(f"{src}: no such preset; available: {', '.join(list_presets()) or 'none'}")
    load_params(src, check_paths=False)
    if target.exists():
        shutil.copyfile(target, target.with_suffix(".yaml.bak"))
    from arc.utils.atomic import atomic_write_text
    atomic_write_text(target, src.read_text())
    return src


def check_dataset_contents(params: dict) -> list[str]:
    """For a real-data benchmark: open every configured folder, check its layout and that it holds
    enough frames for the sampling (the first workflow step runs the same code); one line per
    source saying what was found. Generated benchmarks: nothing to check."""
    if params["benchmark"] in SYNTHROOMS_FAMILY:
        return []
    from arc.data.benchmarks import plan_sources

    return plan_sources(params).found


def _cmd_validate(args) -> int:
    params = load_params(args.params, check_paths=not args.no_paths)
    found = [] if args.no_paths else check_dataset_contents(params)
    print(f"{args.params}: valid (preset '{params['preset']}', benchmark '{params['benchmark']}', "
          f"{len(params['seeds'])} seeds, rho sweep {params['rho_sweep']})")
    for line in found:
        print(f"  found {line}")
    return 0


def _cmd_preset(args) -> int:
    src = use_preset(args.name, Path(args.params))
    print(f"{args.params} <- {src} (previous settings saved as {Path(args.params).with_suffix('.yaml.bak')}); "
          "Snakemake and DVC both read it")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("config", help="validate params.yaml or switch presets")
    sub = p.add_subparsers(dest="config_command", required=True)
    v = sub.add_parser("validate", help="check params.yaml (and, for a real-data preset, the dataset folders) before any training",
                       description="Checks every key against the schema (types, ranges, finite numbers) and the rules a "
                                   "schema cannot express. For the real-data presets it also opens every configured "
                                   "folder, checks its layout and that it holds enough frames for the sampling, and "
                                   "says what it found.")
    v.add_argument("--params", default="params.yaml")
    v.add_argument("--no-paths", action="store_true", help="skip the dataset checks (paths, layout, frame counts)")
    v.set_defaults(func=_cmd_validate)
    s = sub.add_parser("preset", help="copy configs/NAME.yaml to params.yaml (smoke, demo, demo-outdoor, paper-nyu, paper-kitti)")
    s.add_argument("name")
    s.add_argument("--params", default="params.yaml")
    s.set_defaults(func=_cmd_preset)


def add_params_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--params", default="params.yaml", help="settings file (default: params.yaml)")
