"""`arc config validate` and `arc config preset`: the command-line side of arc.config.

Kept apart from arc.config (which every module reads) so that the settings loader imports nothing
above it; the dataset checks (arc.preflight) are reached from here only.
"""

from __future__ import annotations

from pathlib import Path

from arc.config import (
    _dataset_path_problems,
    config_problems,
    read_params_file,
    settings_source,
    use_preset,
)


def _cmd_validate(args) -> int:
    import sys

    path = Path(args.params)
    params = read_params_file(path)
    source = settings_source(args.params)
    problems = config_problems(params, source, check_paths=False)
    found: list[str] = []
    if not problems and not args.no_paths:
        from arc.preflight import run_problems

        problems = _dataset_path_problems(params, source)
        found, more = run_problems(params, datasets=not problems)
        problems += more
    if problems:
        for line in problems:
            print(f"error: {line}", file=sys.stderr)
        print(f"{source}: {len(problems)} problem(s); nothing was run", file=sys.stderr)
        return 2
    print(f"{source}: valid (preset '{params['preset']}', benchmark '{params['benchmark']}', "
          f"{len(params['seeds'])} seeds, rho sweep {params['rho_sweep']})")
    for line in found:
        print(f"  found {line}")
    return 0


def _cmd_preset(args) -> int:
    src = use_preset(args.name, Path(args.params))
    print(f"{args.params} <- {src} (previous settings kept as {args.params}.<UTC time>.bak); "
          "Snakemake and DVC both read it")
    generator = Path(args.params).resolve().parent / "workflow" / "make_dvc_yaml.py"
    if generator.is_file():  # dvc.yaml holds the preset's jobs: rewrite it for the new settings
        import subprocess
        import sys

        done = subprocess.run([sys.executable, str(generator), "--params", str(Path(args.params).resolve()),
                               "--out", str(generator.parents[1] / "dvc.yaml")])
        if done.returncode != 0:
            return done.returncode
        print(f"{generator.parents[1] / 'dvc.yaml'} rewritten for preset '{args.name}'")
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
    from arc.config import list_presets

    s = sub.add_parser("preset", help=f"copy configs/NAME.yaml to params.yaml and rewrite dvc.yaml ({', '.join(list_presets()) or 'see configs/'})")
    s.add_argument("name")
    s.add_argument("--params", default="params.yaml")
    s.set_defaults(func=_cmd_preset)


