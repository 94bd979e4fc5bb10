"""Every diagnostic a rule file can raise, exactly as `zuji check` prints it.

tests/diagnostics/<name>.pcr is a rule file with one mistake (or <name>/ a small library, for the
codes that need a module beside the PCR); <name>.expected is what

    zuji check tests/diagnostics/<name>.pcr

prints when run at the repository root: the command on the first line, the exit code on the
second, then standard output as printed and, after a "--- stderr" line, standard error if any. An
optional <name>.env holds NAME=value lines set for the run (the limits of ZUJI_LIMITS, lowered so
that a small rule meets them). A name whose path does not exist is the golden file of a missing
one. Each rule file starts with a comment naming its code: it tells a reader what the file is
for, and it keeps every text distinct from the others and from those other tests load, since the
engine keeps compiled rules by the hash of their text.

The message, its hint, the span's line and column and the caret under the source are what a
committee member reads, so a change to any of them must be a decision. After one,
ZUJI_REGEN_GOLDEN=1 rewrites the .expected files; their diff is reviewed with the change.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from zuji.core import limits
from zuji.interfaces import cli

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "tests" / "diagnostics"
REGENERATE = os.environ.get("ZUJI_REGEN_GOLDEN") == "1"

# Codes of the language's table that no rule file raises under `zuji check FILE`, and why.
NOT_RULE_FILE_CODES: dict[str, str] = {
    "E000": "a diagnostic without a code of its own; nothing in a rule file raises it",
    "E004": "an unknown output format of `zuji run`, a command-line mistake",
    "E006": "a command line click cannot parse (test_i18n_coverage runs them)",
    **dict.fromkeys(
        ["E010", "E011", "E012", "E013", "E014", "E015", "E086"],
        "YAML and JSON documents (inventories, cases, datasets), not rule files",
    ),
    **dict.fromkeys(
        ["E400", "E401", "E402", "E403", "E404", "E405", "E406", "E407", "E408"],
        "the library's datasets, GWP sets, benchmark sets and schemas, not rule files",
    ),
    **dict.fromkeys(
        ["E500", "E501", "E502", "E503", "W603", "E611", "E612", "E613", "E700"],
        "an inventory or a case that does not fit its PCR (zuji run, zuji test)",
    ),
    **dict.fromkeys(
        ["E620", "E621", "E622", "E623", "E624", "E625", "E630", "E631"],
        "arithmetic of an evaluation on the figures of an inventory",
    ),
    **dict.fromkeys(
        ["W601", "W602", "W604", "E610", "W640", "E641", "E642", "E650", "W650"],
        "factors in force, cut-off and assertions, judged on an inventory's figures",
    ),
    **dict.fromkeys(
        ["E710", "W710", "E711", "E712", "E713", "W711", "E715"],
        "version discipline compares a rule with a git revision (zuji check --base REV); the "
        "repositories it needs are built in tests/test_review.py and tests/test_checks.py",
    ),
    "E016": "a library's zuji.toml, not a rule file (tests/test_committee_library.py)",
    "E716": "zuji review --decision on a version without a changelog entry; tested in "
    "tests/test_review_record.py",
    **dict.fromkeys(
        ["E720", "E721", "E730", "E732", "E735", "E736"],
        "result files, keys and signatures (replay, sign, verify); tested in tests/test_trust.py",
    ),
    **dict.fromkeys(["E801", "E802"], "PACT export of a result, not a rule file"),
    **dict.fromkeys(
        [f"E{n}" for n in range(940, 952)],
        "the catalogue: its database, workflow and clients (tests/test_catalogue_*.py)",
    ),
    **dict.fromkeys(
        ["E952", "E953", "E954"],
        "the catalogue's commands and routes: options, signing key, traces "
        "(tests/test_catalogue_cli.py, tests/test_catalogue_http.py)",
    ),
    **dict.fromkeys(
        [f"E{n}" for n in (960, 961, 962, 963, 965, 966, 967, 968, 969)],
        "the catalogue's re-evaluation, grades, notices and programme (tests/test_catalogue_*.py)",
    ),
    **dict.fromkeys(["E969"], "the programme's names and address (tests/test_labels.py)"),
    **dict.fromkeys(
        ["E980", "E981", "E982", "E983"],
        "footprint labels: their footprint, address, renderer and format (tests/test_labels.py)",
    ),
    **dict.fromkeys(
        ["E975", "E976"],
        "the portals' uploads and forms (tests/test_platform_portals*.py)",
    ),
    **dict.fromkeys(
        [f"E{n}" for n in range(955, 960)],
        "the PACT host: requests, events, partners, HTTPS, pulls (tests/test_pact_*.py)",
    ),
    "E970": "zuji serve --docs-site without a built site (tests/test_platform_public_routes.py)",
    **dict.fromkeys(
        [f"E{n}" for n in range(985, 990)],
        "the category baselines and the carbon-inclusion API (tests/test_inclusion_*.py)",
    ),
    **dict.fromkeys(
        ["E760", "E761", "E762", "W763"],
        "CBAM mappings beside a PCR and the CBAM report (tests/test_cbam.py), not rule files",
    ),
    **dict.fromkeys(["E680", "E681", "E682"], "options and inventories of zuji mc"),
    **dict.fromkeys(
        ["E660", "E661", "E662", "E663", "E664", "E670", "E671", "E672"],
        "batch files and executors (zuji batch, PCR.evaluate_many); tests/test_batch*.py",
    ),
    **dict.fromkeys(
        [f"E9{n:02}" for n in range(13)],
        "requests to the HTTP service and its clients (tests/test_serve_service.py)",
    ),
}


def golden_names() -> list[str]:
    """Every case: a rule file, a library folder, or an expected text of a missing file."""
    names = {p.stem for p in HERE.glob("*.pcr")} | {p.stem for p in HERE.glob("*.expected")}
    names |= {p.name for p in HERE.iterdir() if p.is_dir()}
    return sorted(names)


def target(name: str) -> str:
    """The path given to zuji check, relative to the repository root so output is stable."""
    folder = HERE / name
    return f"tests/diagnostics/{name}" if folder.is_dir() else f"tests/diagnostics/{name}.pcr"


def environment(name: str) -> dict[str, str]:
    path = HERE / f"{name}.env"
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return {key: value for key, value in pairs}


def run_check(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """What `zuji check` prints for the case, run in-process through the CLI's own entry point
    (so Zuji's errors become diagnostics on stderr and exit codes, as for a user)."""
    env = environment(name)
    monkeypatch.chdir(ROOT)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(limits, "_current", None)  # ZUJI_LIMITS is read once per process
    command = ["zuji", "check", target(name)]
    monkeypatch.setattr(sys, "argv", command)
    try:
        cli.main()
        code: object = 0
    except SystemExit as exit_:
        code = exit_.code or 0
    out, err = capsys.readouterr()
    shown = " ".join([*(f"{k}={v}" for k, v in env.items()), *command])
    text = f"$ {shown}\nexit {code}\n{out}"
    return text + (f"--- stderr\n{err}" if err else "")


@pytest.mark.parametrize("name", golden_names())
def test_check_prints_the_golden_text(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    got = run_check(name, monkeypatch, capsys)
    expected = HERE / f"{name}.expected"
    if not expected.exists() and not REGENERATE:
        expected.write_text(got, encoding="utf-8")
        pytest.fail(f"{expected.name} was missing and is now written: review it")
    if REGENERATE:
        expected.write_text(got, encoding="utf-8")
    assert got == expected.read_text(encoding="utf-8")


def test_each_golden_file_shows_the_code_in_its_name() -> None:
    """A golden named for a code shows that code: it does test what its name says."""
    for name in golden_names():
        code = name.split("_")[0]
        kind = "warning" if code.startswith("W") else "error"
        text = (HERE / f"{name}.expected").read_text(encoding="utf-8")
        assert f"{kind}[{code}]" in text, name


def test_every_rule_file_code_has_a_golden_file() -> None:
    """Each code of docs/language.en.md's table has a golden file or a reason why a rule file
    cannot raise it."""
    table = (ROOT / "docs" / "language.en.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| ([EW]\d{3}) \|", table, flags=re.M))
    golden = {name.split("_")[0] for name in golden_names()}
    assert golden & set(NOT_RULE_FILE_CODES) == set()
    assert listed - golden - set(NOT_RULE_FILE_CODES) == set(), "codes with no golden file"
    assert set(NOT_RULE_FILE_CODES) - listed == set(), "exemptions for codes not in the table"
