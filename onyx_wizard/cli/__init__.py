"""The `onyx-wizard` command: parse, dispatch to one command module, turn errors into exit codes.

Exit codes (`errors.ExitCode`): 0 success, 1 a check or gate failed, 2 usage or configuration
error, 3 environment error (no keyring, missing secret). A command returns its code; an error
carries its own (`OnyxError.exit_code`), and this module is the one place that turns either into
the process's exit status. Each command group is a module imported only when one of its commands
runs, so `--help` loads neither Textual nor pydantic.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence

from onyx_wizard.cli.parser import build_parser
from onyx_wizard.errors import CommandError, ExitCode, OnyxError

__all__ = ["CommandError", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    module_name, _, function_name = args.command.partition(":")
    try:
        module = importlib.import_module(f"onyx_wizard.cli.{module_name}")
        command: Callable[..., int] = getattr(module, function_name)
        return command(args)
    except OnyxError as exc:
        print(f"onyx-wizard: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("onyx-wizard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); silence the flush at exit too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except OSError as exc:
        # The machine, not the command: a full or read-only disk, a folder that vanished.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"onyx-wizard: {where}{exc.strerror or exc}", file=sys.stderr)
        return ExitCode.ENVIRONMENT
