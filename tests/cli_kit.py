"""The `zuji` command run inside the test process: the same entry point, arguments, output and
exit code as the installed command, without starting a Python (and importing the engine) per call.

test_cli.py keeps a few runs of the real `zuji` and `python -m zuji` to prove those work.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from typer.testing import CliRunner

from zuji.interfaces.cli import main

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Ran:
    """What a run of the command left: named as subprocess.CompletedProcess names them."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def zuji(*args: str, cwd: Path = ROOT) -> Ran:
    """`zuji ARGS` in the folder `cwd`, through main() so Zuji's errors become diagnostics on
    stderr and exit codes exactly as for a user; the command line is the process's own, as the
    installed command sees it, so a usage message names `zuji` too."""
    command_line = mock.patch.object(sys, "argv", ["zuji", *args])
    with contextlib.chdir(cwd), command_line, CliRunner().isolation() as (stdout, stderr, _):
        try:
            main()
            code = 0
        except SystemExit as stop:
            code = _exit_code(stop.code)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        return Ran(args, code, _text(stdout.getvalue()), _text(stderr.getvalue()))


def _exit_code(code: object) -> int:
    # As the interpreter turns sys.exit's argument into the process's exit status.
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def _text(written: bytes) -> str:
    # As subprocess.run(text=True) reads a child's output: universal newlines.
    return written.decode("utf-8").replace("\r\n", "\n")
