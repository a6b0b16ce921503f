"""The one way a command runs: mirror its output into --log, and turn ArcError into one line + exit 2.

Both front ends go through :func:`run_parsed`: the `arc` command (``arc.cli.main``) and the
workflow's thin scripts (``run_cli``: one line in workflow/scripts/ that hands its package's
argument builder and runner over). The same builders back both, so both take the same options,
and an error reaches the job's log file as well as the terminal.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from typing import Callable, Sequence

from arc.errors import ArcError
from arc.utils.logs import tee_output
from arc.utils.runlock import stage_lock

# The exit status of a user error (bad setting, file or checkpoint); argparse uses it for bad options too.
USER_ERROR = 2
# Any other exception (its traceback is printed into --log first; Python's own status for one).
INTERNAL_ERROR = 1


def run_parsed(args: argparse.Namespace, run: Callable[[argparse.Namespace], object]) -> int:
    """Run ``run(args)`` with output mirrored into ``args.log`` (if any); ArcError -> one line, exit 2.

    A runner's return value is its exit status when it is an int, else success (runners that
    return a summary dict or a path are common).
    """
    with tee_output(getattr(args, "log", None)):
        try:
            status = run(args)
        except ArcError as exc:
            # One line, no traceback: the message names the file or key and what was expected.
            print(f"error: {exc}", file=sys.stderr)
            return USER_ERROR
        except BrokenPipeError:
            raise  # the reader (`| head`) has gone: arc.cli.main ends quietly, no traceback
        except Exception:  # noqa: BLE001 -- a bug, a full disk, a read-only folder: the traceback must reach the job's log
            traceback.print_exc(file=sys.stderr)
            return INTERNAL_ERROR
    return status if isinstance(status, int) else 0


def run_cli(
    add_arguments: Callable[[argparse.ArgumentParser], object],
    run: Callable[[argparse.Namespace], object],
    description: str,
    argv: Sequence[str] | None = None,
) -> int:
    """Parse with ``add_arguments`` (+ --log unless it adds one), then :func:`run_parsed`.

    A workflow stage runs holding the working copy's run lock (shared with the engine run that
    started it, :class:`arc.utils.runlock.stage_lock`): under DVC too, which lets go of its own lock
    while a command runs, no other engine run can start beside it.
    """
    parser = argparse.ArgumentParser(description=description)
    add_arguments(parser)
    if not any("--log" in action.option_strings for action in parser._actions):
        parser.add_argument("--log", default=None, help="also write everything printed to this file")

    def run_locked(args: argparse.Namespace) -> object:
        with stage_lock():
            return run(args)

    return run_parsed(parser.parse_args(argv), run_locked)
