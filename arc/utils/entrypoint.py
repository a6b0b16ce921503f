"""Shared start-up for the workflow scripts: log mirroring and clean user-facing errors."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from arc.errors import ArcError
from arc.utils.logs import tee_output


def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--params", default="params.yaml", help="settings file (default: params.yaml)")
    parser.add_argument("--log", default=None, help="also write everything printed to this file")
    return parser


def run_script(parser: argparse.ArgumentParser, body: Callable[[argparse.Namespace], object], argv=None) -> None:
    """Parse, mirror output into --log, run ``body``; an ArcError exits 2 with its message only."""
    args = parser.parse_args(argv)
    with tee_output(args.log):
        try:
            body(args)
        except ArcError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
