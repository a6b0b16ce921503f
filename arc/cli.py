"""The ``arc`` command. Each package registers its own subcommands.

  arc data generate|inspect|sample|cache   (arc.data.cli)
  arc train <stage>                          (arc.training.cli)
  arc declutter                              (arc.training.cli)
  arc evaluate / arc predict                 (arc.evaluation.cli)
  arc report <table|figure>                  (arc.reports.cli)
  arc config validate|preset                 (arc.config_cli)
  arc models summary                         (arc.models.cli)
"""

from __future__ import annotations

import argparse
import importlib
import sys

from arc.utils.entrypoint import run_parsed

# Modules exposing ``register(subparsers)``; each adds parsers whose ``func`` takes the args.
_COMMAND_MODULES = (
    "arc.data.cli",
    "arc.training.cli",
    "arc.evaluation.cli",
    "arc.reports.cli",
    "arc.config_cli",
    "arc.models.cli",
    "arc.diagnostics.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arc", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # package part not written yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_parsed(args, args.func)
    except BrokenPipeError:
        # `arc ... | head` closed the pipe: stop quietly, as Unix tools do. Python would print a second
        # traceback when it flushes stdout at exit, so stdout is pointed at /dev/null first.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, the status a shell reports for a tool killed by the closed pipe


if __name__ == "__main__":
    sys.exit(main())
