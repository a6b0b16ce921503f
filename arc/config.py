"""Load and validate params.yaml, the one source of every setting; switch presets.

Validation happens before any work starts: the JSON schema (arc/params.schema.json)
checks keys, types and ranges; ``_check_semantics`` checks what a schema cannot
(rho is one of the sweep values, dataset paths of a real-data preset exist, ...).
Every message names the file, the key and the allowed values.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
from pathlib import Path
from typing import Any

from arc.errors import ConfigError
from arc.settings import SCHEMA_PATH, schema, setting
from arc.stage_table import PEER_STAGES, check_row
from arc.utils.strict_yaml import load_yaml

PRESET_DIR = Path("configs")
# The DAG (Snakefile and dvc.yaml) has one branch per row under these names.
TABLE_ROWS = ("syn_only", "real_only", "mix", "arc_t", "arc_a", "arc_at", "arc_ai", "arc_full", *PEER_STAGES)
SYNTHROOMS_FAMILY = {"synthrooms-indoor": "indoor", "synthrooms-outdoor": "outdoor"}


def _schema() -> dict:
    return schema()


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


def _validator():
    """Draft 2020-12 with integers that are ints: jsonschema counts 8.0 as an integer, but
    ``batch_size: 8.0`` or ``seeds: [0.0]`` break later (range(), DAG folder names like seed0.0)."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
    return jsonschema.validators.extend(base, type_checker=checker)(_schema())


def schema_problems(params: dict, source: str) -> list[str]:
    """One line per schema violation (duplicates from if/then branches merged)."""
    errors = sorted(_validator().iter_errors(params), key=lambda e: (len(list(e.absolute_path)), str(list(e.absolute_path))))
    lines: list[str] = []
    for error in errors:
        line = _describe_schema_error(error, source)
        if line not in lines:
            lines.append(line)
    return lines


def config_problems(params: Any, source: str = "params.yaml", check_paths: bool = True) -> list[str]:
    """Every problem of the settings themselves, one line each (empty: valid). The semantic rules
    run only on a schema-valid mapping (they index keys the schema guarantees)."""
    if not isinstance(params, dict):
        return [f"{source}: expected a mapping of settings at the top level, got {type(params).__name__}"]
    problems = _finite_problems(params, source)
    problems += schema_problems(params, source)
    if problems:
        return problems
    return _semantic_problems(params, source, check_paths)


def validate_params(params: dict, source: str = "params.yaml", check_paths: bool = True) -> dict:
    """Raise ConfigError (one line per problem, each naming the key and allowed values) unless valid."""
    problems = config_problems(params, source, check_paths)
    if problems:
        raise ConfigError("\n".join(problems))
    return params


def _finite_problems(node: Any, source: str, key: str = "") -> list[str]:
    """No NaN or infinity anywhere: NaN passes every range check of the schema (each comparison is
    False), and a NaN rho would even yield a DAG branch and a report that look current."""
    if isinstance(node, dict):
        return [p for name, value in node.items() for p in _finite_problems(value, source, f"{key}.{name}" if key else str(name))]
    if isinstance(node, list):
        return [p for i, value in enumerate(node) for p in _finite_problems(value, source, f"{key}[{i}]")]
    if isinstance(node, float) and not math.isfinite(node):
        return [f"{source}: key '{key}' = {node} is not a finite number; expected a finite value"]
    return []


BENCHMARK_FAMILY = {"nyu-pbrs": "indoor", "kitti-vkitti": "outdoor", "synthrooms-indoor": "indoor",
                    "synthrooms-outdoor": "outdoor"}
# The Snakefile and dvc.yaml write the decoded cache here; any other value would be silently ignored.
CACHE_ROOT = "data/cache"


def _row_problems(name: str, row: dict, source: str) -> list[str]:
    """The rules of a row's composition (arc.stage_table.check_row: the one place they are written)."""
    try:
        check_row({"rows": {name: row}}, name)
    except ConfigError as exc:
        return [f"{source}: {exc}"]
    return []


INPAINTING_LOSSES_KEY = "training.inpainting.losses"


def authors_vgg_problem(params) -> str | None:
    """The authors' inpainting taps (relu3_4, relu4_4, relu5_2) exist only in VGG19."""
    if setting(params, INPAINTING_LOSSES_KEY) != "authors":
        return None
    arch = setting(params, "models.vgg.arch")
    if arch != "vgg19":
        return (f"{INPAINTING_LOSSES_KEY} = 'authors' needs models.vgg.arch = 'vgg19' (their layers relu3_4, relu4_4, relu5_2), "
                f"got models.vgg.arch = {arch!r}")
    return None


def _size_problems(params: dict, source: str) -> list[str]:
    """An encoder that halves the input n times needs sides divisible by 2**n (else the skip
    connections do not line up and the first training step fails)."""
    height, width = benchmark_size(params)
    problems = []
    for key, model in params["models"].items():
        n = model.get("num_downsamples") if isinstance(model, dict) else None
        if n and (height % 2 ** n or width % 2 ** n):
            problems.append(f"{source}: key 'models.{key}.num_downsamples' = {n}: the {height}x{width} input of benchmark "
                            f"'{params['benchmark']}' is not divisible by 2**{n} = {2 ** n}; expected sides divisible by it")
    return problems


def _protocol_problems(params: dict, source: str) -> list[str]:
    from arc.evaluation.protocols import PROTOCOLS

    name, bench = params["evaluation"]["protocol"], params["benchmark"]
    family = BENCHMARK_FAMILY.get(bench)
    fits = sorted(p for p, proto in PROTOCOLS.items() if proto.family == family)
    if family and name in PROTOCOLS and PROTOCOLS[name].family != family:
        return [f"{source}: key 'evaluation.protocol' = {name!r} is an {PROTOCOLS[name].family} protocol, but benchmark "
                f"'{bench}' is {family}; expected one of {', '.join(fits)}"]
    problems = []
    also = params["evaluation"].get("also_protocols") or []
    key = "evaluation.also_protocols"
    for i, other in enumerate(also):
        if other == name:
            problems.append(f"{source}: key '{key}.{i}' = {other!r} is the primary protocol (evaluation.protocol), which "
                            f"every evaluation scores anyway; expected other protocols only")
        elif family and PROTOCOLS[other].family != family:
            problems.append(f"{source}: key '{key}.{i}' = {other!r} is an {PROTOCOLS[other].family} protocol, but "
                            f"benchmark '{bench}' is {family}; expected some of "
                            f"{', '.join(p for p in fits if p != name)}")
        elif other in also[:i]:
            problems.append(f"{source}: key '{key}' lists {other!r} twice; expected each protocol at most once")
    return problems


def _semantic_problems(params: dict, source: str, check_paths: bool) -> list[str]:
    problems = []
    rows = params["rows"]
    missing_rows = [r for r in TABLE_ROWS if r not in rows]
    if missing_rows:
        problems.append(f"{source}: key 'rows' lacks {', '.join(missing_rows)}; the DAG expects rows {', '.join(TABLE_ROWS)}")
    for name, row in rows.items():
        problems += _row_problems(name, row, source)
    if params["rho"] not in params["rho_sweep"]:
        problems.append(
            f"{source}: key 'rho' = {params['rho']} must be one of 'rho_sweep' {params['rho_sweep']} "
            "(the Table-2 ARC:full row is the sweep branch at rho)")
    tau = params["training"]["attention"]
    if tau["tau_end"] > tau["tau_start"]:
        problems.append(f"{source}: key 'training.attention.tau_end' = {tau['tau_end']} must be <= tau_start = {tau['tau_start']}")
    if (params["training"].get("gasda") or {}).get("stereo"):
        problems.append(f"{source}: key 'training.gasda.stereo' = true: the stereo photometric term is not implemented "
                        "(no benchmark here caches right images); expected false")
    if params["data"].get("cache_root", CACHE_ROOT) != CACHE_ROOT:
        problems.append(f"{source}: key 'data.cache_root' = {params['data']['cache_root']!r}: the workflow always caches "
                        f"under {CACHE_ROOT}; expected {CACHE_ROOT!r} (make {CACHE_ROOT} a symbolic link to move it)")
    problems += _size_problems(params, source)
    problems += _protocol_problems(params, source)
    vgg_problem = authors_vgg_problem(params)
    if vgg_problem:
        problems.append(f"{source}: {vgg_problem}")
    if check_paths:
        problems += _dataset_path_problems(params, source)
    return problems


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


def _dataset_path_problems(params: dict, source: str) -> list[str]:
    problems = []
    for key, value in required_dataset_paths(params).items():
        if value is None:
            problems.append(f"{source}: key '{key}' is null, but benchmark '{params['benchmark']}' needs it; "
                            "set it to the path of your download (see docs/real-data.md)")
        elif not Path(value).exists():
            problems.append(f"{source}: key '{key}' = '{value}' does not exist; "
                            f"benchmark '{params['benchmark']}' reads it (see docs/real-data.md)")
    if params["benchmark"] in ("nyu-pbrs", "kitti-vkitti") and "real_size" not in params["data"]:
        problems.append(f"{source}: missing key 'data.real_size' (height, width the real-data benchmark is resized to)")
    return problems


def read_params_file(path: Path, local: bool = True) -> Any:
    """The parsed YAML of a settings file, not yet validated, with params.local.yaml's dataset
    locations merged over it (``local=False``: the file alone)."""
    if not path.exists():
        raise ConfigError(f"{path}: settings file not found (run from the repository root, or pass --params)")
    params = load_yaml(path)  # YAML 1.2, strictly: the reading DVC's and ours agree on (arc.utils.strict_yaml)
    if local and isinstance(params, dict):
        merge_local_params(params)
    return params


# --------------------------------------------------------------------------- params.local.yaml

LOCAL_PARAMS_FILE = "params.local.yaml"
# Where this machine keeps the local file; "" turns it off (the tests do, so a developer's own file
# cannot change what they check).
LOCAL_PARAMS_ENV = "ARC_PARAMS_LOCAL"
# Only where things are on this machine: a science setting here would change results while the
# tracked params.yaml (and DVC's record of it) looked unchanged.
LOCAL_KEYS = {
    "data": {"nyu": {"raw_root", "labeled_mat", "splits_mat", "train_pool_list"}, "pbrs": {"root"},
             "kitti": {"root", "depth_root", "test_list"}, "vkitti": {"root"}},
    "models": {"vgg": {"weights"}},
}


def local_params_path() -> Path | None:
    """The git-ignored file of machine-local locations (relative to the working directory, i.e. the
    repository root where Snakemake and DVC run), or None when ARC_PARAMS_LOCAL is set empty."""
    value = os.environ.get(LOCAL_PARAMS_ENV)
    if value is None:
        return Path(LOCAL_PARAMS_FILE)
    return Path(value) if value else None


def _local_key_problems(node: Any, allowed: Any, source: str, key: str = "") -> list[str]:
    if not isinstance(node, dict):
        return [f"{source}: key '{key or '(top level)'}' must be a mapping, got {type(node).__name__}"]
    problems = []
    for name, value in node.items():
        full = f"{key}.{name}" if key else str(name)
        if name not in allowed:
            problems.append(f"{source}: key '{full}' is not a machine-local location; only dataset roots and "
                            f"models.vgg.weights may be set here ({', '.join(local_keys())}); put other settings in params.yaml")
        elif isinstance(allowed, dict):
            problems += _local_key_problems(value, allowed[name], source, full)
    return problems


def local_keys() -> list[str]:
    def walk(node, prefix):
        if isinstance(node, set):
            return [f"{prefix}.{n}" for n in sorted(node)]
        return [k for n, sub in node.items() for k in walk(sub, f"{prefix}.{n}" if prefix else n)]
    return walk(LOCAL_KEYS, "")


def read_local_params() -> tuple[dict, Path | None]:
    """The local file's settings ({} and None when there is none); ConfigError on any key that is
    not a machine-local location, one line per key."""
    path = local_params_path()
    if path is None:
        return {}, None
    if not path.exists():
        if os.environ.get(LOCAL_PARAMS_ENV):  # named explicitly: a typo must not silently drop the roots
            raise ConfigError(f"{path}: not found, but {LOCAL_PARAMS_ENV} names it; expected the machine-local settings "
                              f"file (or set {LOCAL_PARAMS_ENV}= to use none)")
        return {}, None
    local = load_yaml(path)  # a directory, non-UTF-8 bytes or bad YAML: one line naming the file
    if local is None:
        return {}, path
    problems = _local_key_problems(local, LOCAL_KEYS, str(path))
    if problems:
        raise ConfigError("\n".join(problems))
    return local, path


def _deep_merge(base: dict, over: dict) -> None:
    for name, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(name), dict):
            _deep_merge(base[name], value)
        else:
            base[name] = value


def merge_local_params(params: dict) -> Path | None:
    """Merge the local file over ``params`` in place (what Snakemake's config and every loader get);
    returns its path, or None when there is none."""
    local, path = read_local_params()
    _deep_merge(params, local)
    return path


def settings_source(path: str | Path) -> str:
    """How messages name the settings: the params file, plus the local file when one is merged."""
    local = local_params_path()
    return f"{path} + {local}" if local is not None and local.is_file() else str(path)


def read_settings(path: str | Path) -> dict:
    """The settings for a command that also works from a partial settings file (the report and
    evaluation commands, run by hand on a results folder): strict YAML with params.local.yaml
    merged, fully validated when the file has every required key (the workflow's params.yaml
    always has), otherwise checked for what a partial file can hold (finite numbers)."""
    path = Path(path)
    params = read_params_file(path)
    source = settings_source(path)
    if not isinstance(params, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level, got {type(params).__name__}")
    if all(key in params for key in _schema()["required"]):
        return validate_params(params, source, check_paths=False)
    problems = _finite_problems(params, source)
    if problems:
        raise ConfigError("\n".join(problems))
    return params


def load_params(path: str | Path = "params.yaml", check_paths: bool = True) -> dict:
    path = Path(path)
    return validate_params(read_params_file(path), settings_source(path), check_paths)


def benchmark_size(params: dict) -> tuple[int, int]:
    """(height, width) the chosen benchmark is cached at."""
    bench = params["benchmark"]
    if bench in SYNTHROOMS_FAMILY:
        fam = params["data"]["synthrooms"][SYNTHROOMS_FAMILY[bench]]
        return fam["height"], fam["width"]
    size = params["data"]["real_size"]
    return size["height"], size["width"]


# --------------------------------------------------------------------------- presets

def list_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def use_preset(name: str, target: Path = Path("params.yaml")) -> Path:
    src = PRESET_DIR / f"{name}.yaml"
    if not src.is_file():
        raise ConfigError(f"{src}: no such preset; available: {', '.join(list_presets()) or 'none'}")
    # The preset alone: params.local.yaml is not touched by a switch and cannot block one.
    validate_params(read_params_file(src, local=False), str(src), check_paths=False)
    if target.exists():
        shutil.copyfile(target, backup_path(target))
    from arc.utils.atomic import atomic_write_text
    atomic_write_text(target, src.read_text())
    return src


def backup_path(target: Path) -> Path:
    """``params.yaml.<UTC time>.bak``, new each time: a second switch must not overwrite the first backup."""
    from datetime import datetime, timezone

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = target.with_name(f"{target.name}.{stamp}.bak")
    while path.exists():  # two switches within one microsecond
        stamp += "0"
        path = target.with_name(f"{target.name}.{stamp}.bak")
    return path


def add_params_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--params", default="params.yaml", help="settings file (default: params.yaml)")
