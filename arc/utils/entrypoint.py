"""Shared start-up for the workflow's thin scripts: argument parsing, log mirroring, clean errors.

A script in workflow/scripts/ is one line that hands its package's argument builder and runner to
``run_cli``; the same builders back the `arc` command, so both take the same options.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from arc.errors import ArcError
from arc.utils.logs import tee_output


def run_cli(
    add_arguments: Callable[[argparse.ArgumentParser], object],
    run: Callable[[argparse.Namespace], object],
    description: str,
    argv: Sequence[str] | None = None,
) -> int:
    """Parse with ``add_arguments`` (+ --log), mirror output into --log, run; ArcError -> exit 2."""
    parser = argparse.ArgumentParser(description=description)
    add_arguments(parser)
    if not any("--log" in action.option_strings for action in parser._actions):
        parser.add_argument("--log", default=None, help="also write everything printed to this file")
    args = parser.parse_args(argv)
    with tee_output(args.log):
        try:
            status = run(args)
            return status if isinstance(status, int) else 0
        except ArcError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
