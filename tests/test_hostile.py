"""Hostile input: what a careless or malicious writer of a rule file, an inventory or a supplier's
document tries, and what Zuji answers.

Each input is refused with exit 1 (2 for a usage mistake) and a diagnostic that names the file
and a place (`file:line:col: error[CODE]`), never a traceback; nothing printed carries a control
or bidi character to the terminal; a file named by a document is read only inside the allowed
folder, which an audit hook on `open` checks for every hostile inventory. The rule files and the
text-level inventories are in tests/hostile/ (each says in its first line what it tries); the
inventories naming files, which need links, FIFOs and folders, are built in a temporary folder.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_kit import Ran, zuji
from conftest import CEMENT_INVENTORY

from zuji.core import errors as zuji_errors
from zuji.core import limits
from zuji.core.confined import read_confined
from zuji.core.errors import DocumentError
from zuji.core.text import HIDDEN, json_printable, printable
from zuji.lang.load import load_file as load_rule_file

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"
SUPPLIER = ROOT / "pcr" / "cement" / "cases" / "supplier-clinker.json"
PLACED = re.compile(
    r"^(?P<file>[^\n]+?):(?P<line>\d+):(?P<column>\d+): error\[(?P<code>E\d{3})\]", re.M
)
MARKER = "SECRET-MARKER-7f3a"  # planted in files that must never be echoed


def refused(ran: Ran, file: str, code: str, exit_code: int = 1) -> re.Match[str]:
    """The run failed as a user's mistake: the exit code, no traceback, nothing the terminal
    would obey, and a first diagnostic naming `file`, a line and a column, with `code`."""
    printed = ran.stdout + ran.stderr
    assert ran.returncode == exit_code, printed
    assert "Traceback" not in printed
    assert HIDDEN.search(printed) is None, repr(printed[:300])
    found = PLACED.search(ran.stderr) or PLACED.search(ran.stdout)
    assert found is not None, printed[:500]
    assert found["file"] == file and found["code"] == code, printed[:500]
    assert int(found["line"]) >= 1 and int(found["column"]) >= 1
    return found


# ------------------------------------------------------------------------------- rule files

# Each hostile rule file, the code it gets and the line and column of the spot at fault.
RULES = {
    "rlo_in_description": ("E005", 13, 24),
    "nul_in_name": ("E005", 3, 15),
    "escape_in_changelog": ("E005", 26, 29),
    "isolate_between_tokens": ("E005", 18, 11),
    "literal_1e400": ("E112", 22, 28),
    "literal_100000_digits": ("E112", 22, 28),
    "literal_huge_exponent": ("E112", 22, 28),
    "cutoff_150_500": ("E113", 9, 10),
    "cutoff_per_flow_above_total": ("E113", 9, 3),
    "full_width_colon": ("E001", 18, 12),
    "cyrillic_name": ("E001", 13, 10),
    "unit_scale_overflow": ("E301", 22, 48),
}


@pytest.mark.parametrize("name", sorted(RULES))
def test_hostile_rule_file_is_refused_at_its_place(name: str) -> None:
    code, line, column = RULES[name]
    file = f"tests/hostile/rules/{name}.pcr"
    found = refused(zuji("check", file), file, code)
    assert (int(found["line"]), int(found["column"])) == (line, column)


def test_every_hostile_rule_file_is_listed() -> None:
    assert {p.stem for p in (HOSTILE / "rules").glob("*.pcr")} == set(RULES)


def test_long_literal_is_not_repeated_in_the_message() -> None:
    ran = zuji("check", "tests/hostile/rules/literal_100000_digits.pcr")
    message = ran.stdout.split("\n", 1)[0]
    assert "beyond the range" in message and "9" * 50 not in message


# ------------------------------------------------------------------------------- inventories

# Each hostile inventory of tests/hostile/inventories and the code it gets.
INVENTORIES = {
    "bad_date.yaml": "E011",
    "billion_laughs.yaml": "E014",
    "duplicate_key.json": "E011",
    "escape_in_value.yaml": "E011",
    "huge_exponent.yaml": "E501",
    "huge_integer.json": "E011",
    "huge_integer.yaml": "E011",
    "merge_key.yaml": "E011",
    "nan_amount.json": "E501",
    "nested_100000.json": "E012",
    "nested_100000.yaml": "E012",
    "nested_indentation.yaml": "E012",
    "nested_object_3000.json": "E012",
    "not_utf8.json": "E013",
    "nul_in_value.yaml": "E011",
    "unknown_lookalike_input.yaml": "E501",
    "utf16.yaml": "E013",
    "unit_scale_overflow.yaml": "E501",
    "python_object_tag.yaml": "E011",
    "tag_directive.yaml": "E011",
}


@pytest.mark.parametrize("name", sorted(INVENTORIES))
def test_hostile_inventory_is_refused_at_its_place(name: str) -> None:
    file = f"tests/hostile/inventories/{name}"
    refused(zuji("run", "cement", "-i", file), file, INVENTORIES[name])


def test_every_hostile_inventory_is_listed() -> None:
    assert {p.name for p in (HOSTILE / "inventories").iterdir()} == set(INVENTORIES)


def test_merge_keys_are_refused_in_plain_words() -> None:
    file = "tests/hostile/inventories/merge_key.yaml"
    found = refused(zuji("run", "cement", "-i", file), file, "E011")
    text = (ROOT / file).read_text(encoding="utf-8").split("\n")
    assert text[int(found["line"]) - 1].strip().startswith("<<:")
    assert "YAML merge keys (<<) are not accepted in inventories; write the keys out" in (
        zuji("run", "cement", "-i", file).stderr
    )
    assert "constructor" not in zuji("run", "cement", "-i", file).stderr


def test_duplicate_json_key_points_at_the_second_one() -> None:
    file = "tests/hostile/inventories/duplicate_key.json"
    found = refused(zuji("run", "cement", "-i", file), file, "E011")
    line = (ROOT / file).read_text(encoding="utf-8").split("\n")[int(found["line"]) - 1]
    assert '"company": "Other plant"' in line


def test_nul_in_yaml_points_at_the_character() -> None:
    file = "tests/hostile/inventories/nul_in_value.yaml"
    found = refused(zuji("run", "cement", "-i", file), file, "E011")
    line = (ROOT / file).read_text(encoding="utf-8").split("\n")[int(found["line"]) - 1]
    assert line[int(found["column"]) - 1] == "\x00"


def test_giant_list_is_refused_at_the_input(tmp_path: Path) -> None:
    document = copy.deepcopy(CEMENT_INVENTORY)
    document["inputs"]["kiln_fuels"] = [{"fuel": "raw_coal", "amount": "1 t"}] * 10_001
    path = tmp_path / "giant.json"
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    found = refused(zuji("run", "cement", "-i", str(path)), str(path), "E501")
    line = path.read_text(encoding="utf-8").split("\n")[int(found["line"]) - 1]
    assert '"kiln_fuels"' in line


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("10**400", "infinity is not a finite number"),
        ('"1000 t^99999999999"', "power has at most two digits"),
        ('"1000 t^-9999"', "power has at most two digits"),
        ('"1e308 Mt"', "beyond the range"),
        ('{"value": 1000, "unit": "Mt^60/t^59"}', "beyond the range"),
    ],
)
def test_amounts_past_float_range_are_refused_at_the_input(
    tmp_path: Path, amount: str, words: str
) -> None:
    document = json.dumps(CEMENT_INVENTORY, indent=1).replace('"1000 t"', "AMOUNT", 1)
    path = tmp_path / "inventory.json"
    path.write_text(document.replace("AMOUNT", str(10**400) if amount == "10**400" else amount))
    ran = zuji("run", "cement", "-i", str(path))
    found = refused(ran, str(path), "E501")
    assert words in ran.stderr
    assert '"cement"' in path.read_text().split("\n")[int(found["line"]) - 1]


def test_factor_without_a_value_in_force_names_the_rule_line_and_the_inventory(
    tmp_path: Path,
) -> None:
    """E610 once named neither the rule nor the inventory: it points at the declaration of the
    factor the rule reads, and names the inventory file and the date its period asks for."""
    path = _inventory_file(tmp_path, reference_period={"start": "2015-01-01", "end": "2015-12-31"})
    ran = zuji("run", "cement", "-i", str(path))
    found = refused(ran, "pcr/common/electricity.pcr", "E610")
    declared = (ROOT / "pcr" / "common" / "electricity.pcr").read_text(encoding="utf-8")
    line = declared.split("\n")[int(found["line"]) - 1]
    assert line.strip().startswith("factor national_grid = cn_grid.national")
    assert str(path) in ran.stderr and "2015-01-01" in ran.stderr
    assert "factor national_grid" in ran.stderr  # the source line and its caret


@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
def test_inventory_that_is_no_file_is_a_usage_mistake(tmp_path: Path, kind: str) -> None:
    path = {"device": Path("/dev/zero"), "folder": tmp_path}.get(kind, tmp_path / "fifo.yaml")
    if kind == "fifo":
        os.mkfifo(path)
    ran = zuji("run", "cement", "-i", str(path))
    assert ran.returncode == 2 and "E002" in ran.stderr and "Traceback" not in ran.stderr


def test_a_document_that_is_no_regular_file_is_not_read() -> None:
    from zuji.core.documents import read_utf8

    with pytest.raises(DocumentError) as info:
        read_utf8(Path("/dev/zero"))  # says it is 0 bytes long, and never ends
    assert info.value.code == "E010" and "not a regular file" in str(info.value)


def test_a_fifo_among_rule_files_does_not_stall_check(tmp_path: Path) -> None:
    shutil.copy(ROOT / "tests" / "fuzz" / "seeds" / "widget.pcr", tmp_path / "widget.pcr")
    os.mkfifo(tmp_path / "stall.pcr")
    ran = zuji("check", str(tmp_path))  # a FIFO is no PCR: a usage mistake, and no wait
    assert ran.returncode == 2 and "Traceback" not in ran.stdout + ran.stderr
    assert "E002" in ran.stderr and "stall.pcr" in ran.stderr
    with pytest.raises(zuji_errors.RuleError) as info:
        load_rule_file(tmp_path / "stall.pcr")
    assert info.value.code == "E002" and "not a regular file" in str(info.value)


def test_a_file_longer_than_it_was_is_read_no_further_than_the_limit(tmp_path: Path) -> None:
    """The limit counts the bytes read, not the size the file reported before (a file growing
    while read, or a /proc file that reports 0)."""
    from zuji.core.confined import read_regular

    path = tmp_path / "growing.yaml"
    path.write_bytes(b"x" * 5000)
    assert len(read_regular(path, 1000) or b"") == 1001


# ------------------------------------------------------------------------- terminal output

HOSTILE_COMPANY = "ACME\x1b]0;pwned\x07 [bold]Co[/bold] \u202eevil\x9b2J"


def _inventory_file(tmp_path: Path, **changes: Any) -> Path:
    document = copy.deepcopy(CEMENT_INVENTORY)
    document.update(changes)
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_reports_for_people_show_hidden_characters_as_replacements(
    tmp_path: Path, fmt: str
) -> None:
    path = _inventory_file(tmp_path, company=HOSTILE_COMPANY)
    ran = zuji("run", "cement", "-i", str(path), "--format", fmt)
    assert ran.returncode == 0, ran.stderr
    assert HIDDEN.search(ran.stdout) is None
    assert printable(HOSTILE_COMPANY) in ran.stdout  # the name is shown, made harmless
    assert "[bold]Co[/bold]" in ran.stdout  # brackets are text, not rich's markup


def test_markdown_keeps_an_inventory_text_on_its_line(tmp_path: Path) -> None:
    path = _inventory_file(tmp_path, company="ACME\n# Verified by the programme | `x`")
    ran = zuji("run", "cement", "-i", str(path), "--format", "markdown")
    assert ran.returncode == 0, ran.stderr
    assert "\n# Verified" not in ran.stdout
    assert "ACME # Verified by the programme \\| 'x'" in ran.stdout


@pytest.mark.parametrize("fmt", ["json", "pact"])
def test_json_output_escapes_hidden_characters_and_keeps_the_data(tmp_path: Path, fmt: str) -> None:
    path = _inventory_file(tmp_path, company=HOSTILE_COMPANY)
    ran = zuji("run", "cement", "-i", str(path), "--format", fmt)
    assert ran.returncode == 0, ran.stderr
    assert HIDDEN.search(ran.stdout) is None
    document = json.loads(ran.stdout)
    company = document["inventory"]["company"] if fmt == "json" else document["companyName"]
    assert company == HOSTILE_COMPANY


def test_diagnostics_quoting_an_inventory_show_no_hidden_characters(tmp_path: Path) -> None:
    document = copy.deepcopy(CEMENT_INVENTORY)
    document["inputs"]["clinker\x1b[2J\u202e"] = "1 t"
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    found = refused(zuji("run", "cement", "-i", str(path)), str(path), "E501")
    assert "clinker\ufffd[2J\ufffd" in zuji("run", "cement", "-i", str(path)).stderr
    assert found["line"] != "1"


def test_printable_and_json_printable() -> None:
    text = "a\tb\nc\x00d\x1be\x7ff\x85g\u200eh\u202ei\u2066j\u2028k"
    assert printable(text) == "a\tb\nc\ufffdd\ufffde\ufffdf\ufffdg\ufffdh\ufffdi\ufffdj\ufffdk"
    assert json.loads(json_printable(json.dumps(text, ensure_ascii=False))) == text
    assert HIDDEN.search(json_printable(json.dumps(text, ensure_ascii=False))) is None


# ------------------------------------------------------------------ files named by documents

_OPENED: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _OPENED is not None and args and isinstance(args[0], (str, bytes)):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # for the whole session; it records only inside opened_files()


@contextmanager
def opened_files() -> Iterator[list[str]]:
    """Every path opened (builtins.open, os.open, io.open) within the block."""
    global _OPENED
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None


def _supplier(company: str = "Example Clinker Supplier Co.") -> str:
    document = json.loads(SUPPLIER.read_text(encoding="utf-8"))
    document["companyName"] = company
    return json.dumps(document, indent=2)


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """allowed/inventory (the inventory's folder, with a good document in sub/), allowed/shared
    (a wider root's folder) and outside/ (a valid document whose content must not leak)."""
    folder = tmp_path / "allowed" / "inventory"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "ok.json").write_text(_supplier(), encoding="utf-8")
    (tmp_path / "allowed" / "shared").mkdir()
    (tmp_path / "allowed" / "shared" / "s.json").write_text(_supplier(), encoding="utf-8")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.json").write_text(_supplier(MARKER), encoding="utf-8")
    (tmp_path / "outside" / "secret.txt").write_text(MARKER, encoding="utf-8")
    links = {
        "link.json": tmp_path / "outside" / "secret.json",
        "dirlink": tmp_path / "outside",
        "passwd.json": Path("/etc/passwd"),
        "environ.json": Path("/proc/self/environ"),
        "zero.json": Path("/dev/zero"),
        "inlink.json": folder / "sub" / "ok.json",
        "loop.json": folder / "loop.json",
    }
    for name, target in links.items():
        (folder / name).symlink_to(target)
    os.mkfifo(folder / "fifo.json")
    (folder / "folder.json").mkdir()
    (folder / "bad.json").write_text('{"id": "' + MARKER + '", oops}', encoding="utf-8")
    invalid = json.loads(_supplier(MARKER))
    invalid.update(status=MARKER, specVersion=MARKER)
    (folder / "invalid.json").write_text(json.dumps(invalid, indent=2), encoding="utf-8")
    (folder / "dup.json").write_text('{"' + MARKER + '": 1,\n "' + MARKER + '": 2}')
    (folder / "latin1.json").write_bytes(b'{"id": "\xff' + MARKER.encode() + b'"}')
    return tmp_path


def _inventory_naming(layout: Path, name: str) -> Path:
    case = yaml.safe_load(
        (ROOT / "pcr" / "cement" / "cases" / "purchased_clinker.yaml").read_text(encoding="utf-8")
    )
    case["inventory"]["inputs"]["bought_clinker_footprint"] = {"pact": name}
    path = layout / "allowed" / "inventory" / "inventory.yaml"
    path.write_text(yaml.safe_dump(case["inventory"], allow_unicode=True), encoding="utf-8")
    return path


# A name written in an inventory, and words of the refusal.
TRICKS = {
    "../../outside/secret.json": "outside the folder",
    "sub/../../../outside/secret.json": "outside the folder",
    "../inventory/../../outside/secret.json": "outside the folder",
    "link.json": "outside the folder",
    "dirlink/secret.json": "outside the folder",
    "passwd.json": "outside the folder",
    "environ.json": "outside the folder",
    "zero.json": "outside the folder",
    "../../../../../../../../etc/passwd.json": "outside the folder",
    "fifo.json": "not a regular file",
    "folder.json": "not a regular file",
    "loop.json": "cannot read",
    "missing.json": "cannot read",
    "nul\x00.json": "NUL",
    "dirlink/secret.txt": "is a .json file",
    "/etc/passwd": "relative",
    "bad.json": "is not well-formed JSON at line 1",
    "invalid.json": "the fields at fault: specVersion (line",
    "dup.json": "is not well-formed JSON at line 2",
    "latin1.json": "is not UTF-8 text at line 1",
}


@pytest.mark.parametrize("name", sorted(TRICKS))
def test_path_tricks_in_a_supplier_document_name(layout: Path, name: str) -> None:
    inventory = _inventory_naming(layout, name)
    with opened_files() as opened:
        ran = zuji("run", "cement", "-i", str(inventory))
    found = refused(ran, str(inventory), "E501")
    line = inventory.read_text(encoding="utf-8").split("\n")[int(found["line"]) - 1]
    assert "bought_clinker_footprint" in line  # the inventory's place
    assert TRICKS[name] in ran.stderr, ran.stderr
    assert MARKER not in ran.stdout + ran.stderr  # nothing from a refused file is echoed
    _only_inside(opened, layout / "allowed" / "inventory")


def _only_inside(opened: list[str], allowed: Path) -> None:
    """No file was opened outside the allowed folder, but for the engine's own code and library
    (modules imported, the library's data) and Python's."""
    trusted = [allowed.resolve(), ROOT, Path(sys.prefix).resolve(), Path(sys.base_prefix)]
    for name in opened:
        real = Path(os.path.realpath(name))
        assert any(real.is_relative_to(root) for root in trusted), name
        assert "outside" not in real.parts and real.parts[1:2] not in (("etc",), ("proc",))


@pytest.mark.parametrize("name", ["sub/ok.json", "inlink.json", "../inventory/sub/ok.json"])
def test_a_document_inside_the_folder_is_read(layout: Path, name: str) -> None:
    inventory = _inventory_naming(layout, name)
    with opened_files() as opened:
        ran = zuji("run", "cement", "-i", str(inventory), "--format", "json")
    assert ran.returncode == 0, ran.stderr
    inputs = json.loads(ran.stdout)["data_quality"]["inputs"]
    assert inputs["bought_clinker_footprint"]["supplier"]["file"] == name
    assert any(path.endswith("ok.json") for path in opened)
    _only_inside(opened, layout / "allowed" / "inventory")


def test_a_wider_documents_root_admits_a_shared_folder(layout: Path) -> None:
    inventory = _inventory_naming(layout, "../shared/s.json")
    assert zuji("run", "cement", "-i", str(inventory)).returncode == 1
    ran = zuji("run", "cement", "-i", str(inventory), "--documents-root", str(layout / "allowed"))
    assert ran.returncode == 0, ran.stderr
    outside = _inventory_naming(layout, "../../outside/secret.json")
    ran = zuji("run", "cement", "-i", str(outside), "--documents-root", str(layout / "allowed"))
    refused(ran, str(outside), "E501")
    ran = zuji("run", "cement", "-i", str(inventory), "--documents-root", str(layout / "nowhere"))
    assert ran.returncode == 2 and "E002" in ran.stderr


def test_a_device_under_a_wide_root_is_still_refused(layout: Path) -> None:
    inventory = _inventory_naming(layout, "zero.json")
    ran = zuji("run", "cement", "-i", str(inventory), "--documents-root", "/")
    refused(ran, str(inventory), "E501")
    assert "not a regular file" in ran.stderr


def test_the_byte_limit_counts_what_is_read(layout: Path) -> None:
    folder = layout / "allowed" / "inventory"
    (folder / "big.json").write_text(" " * 5000 + _supplier(), encoding="utf-8")
    with limits.limited(document_bytes=4000), pytest.raises(DocumentError) as info:
        read_confined("big.json", folder, folder)
    assert info.value.code == "E086"
    with limits.limited(document_bytes=100_000):
        assert len(read_confined("big.json", folder, folder)) > 5000


def test_a_link_swapped_in_while_opening_is_caught(layout: Path) -> None:
    """The race a check-then-open invites: between the check of sub/ok.json and its opening,
    sub/ is replaced by a link to the outside folder. The audit hook does the swap at the very
    moment the file is opened; the file opened is then outside, and it is refused unread."""
    folder = layout / "allowed" / "inventory"
    (layout / "outside" / "ok.json").write_text(_supplier(MARKER), encoding="utf-8")
    swapped: list[str] = []

    def swap(event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and not swapped and str(args[0]).endswith("sub/ok.json"):
            (folder / "sub").rename(folder / "sub-real")
            (folder / "sub").symlink_to(layout / "outside")
            swapped.append(str(args[0]))

    _SWAPS.append(swap)
    try:
        with pytest.raises(DocumentError) as info:
            read_confined("sub/ok.json", folder, folder)
    finally:
        _SWAPS.clear()
    assert swapped, "the swap did not happen"
    assert info.value.code == "E015" and "changed while it was being opened" in str(info.value)
    assert MARKER not in str(info.value)


# What the audit hook below calls at each event: set by a test for its duration only.
_SWAPS: list[Any] = []


def _swap_hook(event: str, args: tuple[Any, ...]) -> None:
    for hook in list(_SWAPS):
        hook(event, args)


sys.addaudithook(_swap_hook)


def test_links_flipped_by_another_thread_never_leak(layout: Path) -> None:
    """A second thread flips a link between a document inside and one outside while documents
    are read through it: every read gives the inside document or a refusal, never the outside
    one."""
    folder = layout / "allowed" / "inventory"
    inside, outside = folder / "sub-a", layout / "outside"
    shutil.copytree(folder / "sub", inside)
    (outside / "ok.json").write_text(_supplier(MARKER), encoding="utf-8")
    link, stop = folder / "flip", threading.Event()

    def flip() -> None:
        while not stop.is_set():
            for target in (inside, outside):
                tmp = folder / "flip.tmp"
                tmp.unlink(missing_ok=True)
                tmp.symlink_to(target)
                tmp.replace(link)

    (folder / "flip").symlink_to(inside)
    flipper = threading.Thread(target=flip)
    flipper.start()
    outcomes = {"read": 0, "refused": 0}
    try:
        for _ in range(300):
            try:
                raw = read_confined("flip/ok.json", folder, folder)
            except DocumentError as exc:
                assert exc.code in ("E015", "E010") and MARKER not in str(exc)
                outcomes["refused"] += 1
            else:
                assert MARKER.encode() not in raw
                outcomes["read"] += 1
    finally:
        stop.set()
        flipper.join()
    assert outcomes["read"] + outcomes["refused"] == 300
