"""The command line starts without the engine's heavy libraries when it does not need them:
`zuji --help` and a command's own --help import neither the unit registry (pint), the algebra
(sympy), the schema validator (jsonschema), the web stack (FastAPI), the array and table
libraries (numpy, pandas, pyarrow) nor any layer of the engine above core; `zuji run --format
json` imports none of the libraries it does not use (the algebra, the reference schema validator,
the web stack, the array libraries, the table renderer). Each is checked in a fresh interpreter,
where nothing was imported before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# (Typer itself imports pydantic for a command's --help; pydantic is light beside these.)
HEAVY = (
    "pint",
    "sympy",
    "jsonschema",
    "jsonschema_rs",
    "fastapi",
    "lark",
    "numpy",
    "pandas",
    "pyarrow",
    "yaml",
)
# What `zuji run ... --format json` has no use for.
NOT_FOR_A_RUN = ("sympy", "jsonschema", "fastapi", "uvicorn", "numpy", "pandas", "pyarrow", "rich")

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


def _modules_of(*arguments: str) -> tuple[int, set[str]]:
    """The exit code of the command line and every module it imported, in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


def _imported_by(*arguments: str) -> tuple[int, set[str]]:
    code, modules = _modules_of(*arguments)
    return code, {name.split(".")[0] for name in modules}


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
def test_help_imports_no_layer_of_the_engine_above_core() -> None:
    code, modules = _modules_of("--help")
    assert code == 0
    engine = sorted(
        m
        for m in modules
        if m.startswith("zuji.") and m.split(".")[1] not in ("core", "interfaces")
    )
    assert engine == []


@pytest.mark.slow
def test_a_run_for_json_imports_none_of_what_it_does_not_use() -> None:
    case = Path(__file__).parent.parent / "pcr" / "cement" / "cases" / "typical_plant.yaml"
    code, modules = _imported_by("run", "cement", "-i", str(case), "--format", "json")
    assert code == 0
    assert not modules & set(NOT_FOR_A_RUN), sorted(modules & set(NOT_FOR_A_RUN))
    # The probe sees the libraries a run does use.
    assert {"pint", "lark", "pydantic", "jsonschema_rs"} <= modules


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


def test_the_cache_folder_is_private_or_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zuji.core import cachedir

    monkeypatch.setenv("ZUJI_CACHE", str(tmp_path / "cache"))
    made = cachedir.folder("grammar")
    assert made == tmp_path / "cache" / "grammar" and made.is_dir()
    assert made.stat().st_mode & 0o077 == 0
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # anyone may write there: a pickle planted in it must never be read
    monkeypatch.setenv("ZUJI_CACHE", str(shared))
    assert cachedir.folder("grammar") is None
    monkeypatch.setenv("ZUJI_CACHE", "off")
    assert cachedir.folder("grammar") is None


@pytest.mark.slow
def test_the_parser_and_units_are_kept_in_the_cache_and_a_new_start_uses_them(
    tmp_path: Path,
) -> None:
    environment = {**os.environ, "ZUJI_CACHE": str(tmp_path)}
    command = [sys.executable, "-c", "import zuji; zuji.load('cement')"]
    subprocess.run(command, env=environment, check=True, timeout=120)
    grammar = sorted(p.name for p in (tmp_path / "grammar").iterdir())
    units = sorted(p.suffix for p in (tmp_path / "units").iterdir())
    assert grammar and all(name.startswith("pcr-") for name in grammar)
    assert ".pickle" in units
    # A second start finds them and gives the same answer.
    done = subprocess.run(
        [sys.executable, "-c", "import zuji; print(zuji.load('cement').id)"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.strip() == "cement"


def test_a_built_model_is_kept_and_read_back_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zuji.core import library
    from zuji.lang import load

    text = (library.pcr_root() / "cement" / "cement.pcr").read_text(encoding="utf-8")
    monkeypatch.setenv("ZUJI_CACHE", "off")
    load._BUILT.clear()
    fresh, fresh_findings = load.load_text(text, "kept/cement.pcr", kept=True)
    monkeypatch.setenv("ZUJI_CACHE", str(tmp_path))
    load._BUILT.clear()
    load.load_text(text, "kept/cement.pcr", kept=True)  # built, and kept
    (kept,) = (tmp_path / "models").iterdir()
    load._BUILT.clear()  # as a new process: only the kept file
    again, findings = load.load_text(text, "kept/cement.pcr", kept=True)
    assert again == fresh and again.source_hash == fresh.source_hash
    assert again.span == fresh.span and findings == fresh_findings
    kept.write_bytes(b"not a pickle")  # cut short, or written by another version of Python
    load._BUILT.clear()
    rebuilt, _ = load.load_text(text, "kept/cement.pcr", kept=True)
    assert rebuilt == fresh
    load._BUILT.clear()
    load.load_text(text.replace("cement", "sent"), "sent.pcr")  # a text, not a rule file
    assert len(list((tmp_path / "models").iterdir())) == 1
    load._BUILT.clear()


def test_a_kept_model_is_keyed_by_the_classes_it_holds_too() -> None:
    from zuji.core import errors
    from zuji.lang import load, model

    made_by = load.builder_files()
    for module in (errors, model, load):  # a Diagnostic and a Span, the model, its builder
        assert Path(module.__file__ or "").resolve() in [p.resolve() for p in made_by]


_ARRAYS_PROBE = """
import sys
from zuji.interfaces.cli import main
sys.argv = ["zuji", "schema", "cement"]
try:
    main()
except SystemExit:
    pass
import pint.compat
hidden = "numpy" not in sys.modules and not pint.compat.HAS_NUMPY
import numpy  # still importable afterwards, for the commands that compute on arrays
print(hidden, numpy.__name__)
"""


@pytest.mark.slow
def test_the_command_imports_pint_without_array_libraries_but_leaves_them_importable() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _ARRAYS_PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.split()[-2:] == ["True", "numpy"]


def test_a_program_importing_zuji_keeps_pint_as_it_is() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import zuji; zuji.load('cement'); import pint.compat; print(pint.compat.HAS_NUMPY)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == "True"


def test_reference_data_kept_is_read_back_the_same_and_a_changed_file_is_read_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from zuji.core import library
    from zuji.data import standards

    root = tmp_path / "standards"
    shutil.copytree(library.standards_root(), root)
    monkeypatch.setenv("ZUJI_CACHE", "off")
    fresh = standards.load(root)
    monkeypatch.setenv("ZUJI_CACHE", str(tmp_path / "cache"))
    standards.load(root)  # read, and kept
    assert len(list((tmp_path / "cache" / "standards").iterdir())) == 1
    again = standards.load(root)
    for kept_id, dataset in again.datasets.items():
        assert dataset.entries == fresh.datasets[kept_id].entries
    assert again == fresh
    grid = root / "factors" / "cn_grid.yaml"
    grid.write_text(grid.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    standards.load(root)
    assert len(list((tmp_path / "cache" / "standards").iterdir())) == 2


@pytest.mark.slow
def test_a_kept_check_report_imports_none_of_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its own cache folder: the first check keeps the report, the second prints it.
    monkeypatch.setenv("ZUJI_CACHE", str(tmp_path / "cache"))
    cement = str(Path(__file__).resolve().parent.parent / "pcr" / "cement")
    first, checked = _imported_by("check", cement)
    assert first == 0 and "pint" in checked
    again, modules = _imported_by("check", cement)
    assert again == 0
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
