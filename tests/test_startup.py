"""The command line starts without the engine's heavy libraries when it does not need them:
`zuji --help` and a command's own --help import neither the unit registry (pint), the algebra
(sympy), the schema validator (jsonschema) nor the web stack (FastAPI). Each is checked in a
fresh interpreter, where nothing was imported before.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# (Typer itself imports pydantic for a command's --help; pydantic is light beside these.)
HEAVY = ("pint", "sympy", "jsonschema", "jsonschema_rs", "fastapi", "lark")

# Runs the command line as the installed `zuji` does, then lists what it imported.
_PROBE = """
import json, sys
from zuji.interfaces.cli import main
sys.argv = ["zuji", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imported_by(*arguments: str) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["code"], {name.split(".")[0] for name in report["modules"]}


@pytest.mark.slow
@pytest.mark.parametrize(
    "arguments",
    [("--help",), ("run", "--help"), ("check", "--help"), ("diff", "--help"), ()],
    ids=lambda a: " ".join(a) or "no arguments",
)
def test_help_imports_none_of_the_heavy_libraries(arguments: tuple[str, ...]) -> None:
    code, modules = _imported_by(*arguments)
    assert code in (0, 2)  # no arguments: the help, with click's usage exit code
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


@pytest.mark.slow
def test_the_probe_sees_what_a_command_imports() -> None:
    # The same probe on a command that evaluates: it must see the engine's libraries arrive, or
    # the test above would pass for a probe that sees nothing.
    code, modules = _imported_by("schema", "cement")
    assert code == 0 and {"pint", "lark"} <= modules


def test_import_zuji_is_light_until_a_rule_is_loaded() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, zuji; before = {m.split('.')[0] for m in sys.modules}; "
            "zuji.load('cement'); after = {m.split('.')[0] for m in sys.modules}; "
            "print(sorted(before & {'pint', 'lark', 'sympy'}), sorted(after & {'pint', 'lark'}))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.split() == ["[]", "['lark',", "'pint']"]
