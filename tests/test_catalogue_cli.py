"""`zuji catalogue …` on SQLite and on PostgreSQL: every command of the workflow, its output, its
exit codes, bad input (positioned diagnostics, nothing stored), signing at publication, clients,
the audit log, and the same in Chinese."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cli_kit import ROOT, Ran, zuji
from sheet_kit import fill_csv, fill_xlsx

from zuji.catalogue import clients, store
from zuji.core.access import Gate
from zuji.interfaces.template_cli import template_csv, write_xlsx
from zuji.runtime.cases import load_case

CASE = ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml"
COMPANY = "Example Cement Co. (invented example company)"
# typical_plant.yaml's expected total, kg CO2e per t cement, computed by hand in the case file
# (its `calculation` section) and given there to 4 decimals: the engine's figure agrees within
# the hand's rounding of intermediate figures, well inside one part in a million.
TYPICAL_TOTAL = float(load_case(CASE)["expected"]["total"])


def catalogue(db: str, *args: str, lang: str | None = None) -> Ran:
    """`zuji [--lang L] catalogue ARGS --db DB`."""
    return zuji(*(["--lang", lang] if lang else []), "catalogue", *args, "--db", db)


def ok(ran: Ran) -> Ran:
    assert ran.returncode == 0, ran.stderr + ran.stdout
    return ran


def submitted(db: str, inventory: Path = CASE, *options: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(
        ok(catalogue(db, "submit", "cement", str(inventory), "--json", *options)).stdout
    )
    return found


def published(db: str) -> tuple[str, str]:
    """A submission of the typical plant, accepted and published: its id and the footprint's."""
    submission = submitted(db, CASE, "--hs-code", "2523.29")["submission"]
    ok(catalogue(db, "verify", submission, "--accept", "--by", "verifier-1"))
    shown = ok(catalogue(db, "publish", submission, "--by", "admin-1")).stdout
    return submission, shown.split()[-1]


def as_json(ran: Ran) -> Any:
    return json.loads(ok(ran).stdout)


# ----------------------------------------------------------------------------- the workflow


def test_submit_return_resubmit_verify_publish_and_list(catalogue_db: str) -> None:
    db = catalogue_db
    ok(catalogue(db, "init"))
    first = ok(catalogue(db, "submit", "cement", str(CASE), "--by", "clerk")).stdout
    first_id = first.split()[1]
    said = re.search(rf"{re.escape(COMPANY)} / P·O 42.5 cement: ([\d,.]+) kg CO2e per 1 t", first)
    assert said and float(said.group(1).replace(",", "")) == pytest.approx(TYPICAL_TOTAL, rel=1e-6)
    returned = catalogue(db, "verify", first_id, "--return")
    assert returned.returncode == 1 and "error[E946]" in returned.stderr  # no comments
    comment = "kiln fuels: give the coal's net calorific value measured in 2022"
    ok(catalogue(db, "verify", first_id, "--return", "--comments", comment, "--by", "v1"))
    assert [
        s["id"]
        for s in as_json(catalogue(db, "list", "--submissions", "--state", "returned", "--json"))
    ] == [first_id]
    shown = ok(catalogue(db, "show", first_id)).stdout
    assert "returned" in shown and comment in shown and "v1" in shown

    again = submitted(db, CASE, "--by", "clerk")
    assert again["total"] == pytest.approx(TYPICAL_TOTAL, rel=1e-6)
    assert again["state"] == "submitted" and again["enterprise"] == COMPANY
    ok(catalogue(db, "verify", again["submission"], "--accept", "--by", "v1"))
    footprint = ok(catalogue(db, "publish", again["submission"], "--by", "admin-1"))
    footprint_id = footprint.stdout.split()[-1]
    assert "not signed" in footprint.stderr  # the catalogue has no signing key

    listed = as_json(catalogue(db, "list", "--json"))
    assert [(f["id"], f["status"]) for f in listed] == [(footprint_id, "Active")]
    assert listed[0]["total"] == pytest.approx(TYPICAL_TOTAL, rel=1e-6)
    table = ok(catalogue(db, "list")).stdout
    assert footprint_id in table and "Active" in table and "cement 1.3.0" in table
    states = {
        s["id"]: s["state"] for s in as_json(catalogue(db, "list", "--submissions", "--json"))
    }
    assert states == {first_id: "returned", again["submission"]: "published"}
    one = catalogue(db, "list", "--submissions", "--limit", "1")
    assert again["submission"] in one.stdout and first_id not in one.stdout
    assert "(the first 1; --limit shows more)" in one.stderr
    assert as_json(catalogue(db, "list", "--enterprise", "Nobody", "--json")) == []
    assert as_json(catalogue(db, "list", "--pcr", "steel", "--json")) == []


def test_show_gives_everything_about_a_footprint(catalogue_db: str) -> None:
    db = catalogue_db
    submission, footprint = published(db)
    text = ok(catalogue(db, "show", footprint)).stdout
    assert f"footprint {footprint}: Active" in text
    # Graded at publication: the only footprint under its PCR has none lower, so it is advanced.
    assert f"from submission {submission}" in text and "Grades:\n  distribution: advanced" in text
    record = as_json(catalogue(db, "show", footprint, "--json"))
    assert record["kind"] == "footprint" and record["submission"] == submission
    assert record["document"]["productClassifications"] == [
        "urn:pact:productclassification:hs:2523.29"
    ]
    assert [e["action"] for e in record["audit"]] == ["submit", "accept", "publish"]
    assert [e["actor"] for e in record["audit"]][1:] == ["verifier-1", "admin-1"]
    detail = as_json(catalogue(db, "show", submission, "--json"))
    assert detail["footprint"] == footprint and detail["state"] == "published"
    assert detail["verifications"][0]["verifier"] == "verifier-1"
    assert detail["inventory"]["text"] == CASE.read_text(encoding="utf-8")


def test_export_writes_pact_json_lines_and_csv(catalogue_db: str, tmp_path: Path) -> None:
    db = catalogue_db
    _, footprint = published(db)
    pact = tmp_path / "footprints.json"
    assert "wrote 1 footprints" in ok(catalogue(db, "export", "-o", str(pact))).stderr
    documents = json.loads(pact.read_text(encoding="utf-8"))["data"]
    assert [d["id"] for d in documents] == [footprint]
    exact = float(documents[0]["pcf"]["pcfExcludingBiogenicUptake"])
    assert exact == pytest.approx(TYPICAL_TOTAL, rel=1e-6)
    lines = ok(catalogue(db, "export", "--format", "jsonl")).stdout.splitlines()
    assert [json.loads(line) for line in lines] == documents
    rows = ok(catalogue(db, "export", "--format", "csv")).stdout.splitlines()
    assert rows[0].startswith("id,status,created,companyName") and len(rows) == 2
    exact_text = documents[0]["pcf"]["pcfExcludingBiogenicUptake"]
    assert rows[1].startswith(f"{footprint},Active,") and f",{exact_text}," in rows[1]
    empty = ok(catalogue(db, "export", "--status", "Deprecated")).stdout
    assert json.loads(empty) == {"data": []}
    assert (
        "wrote 0 footprints"
        in ok(catalogue(db, "export", "--pcr", "steel", "-o", str(pact))).stderr
    )
    assert json.loads(pact.read_text(encoding="utf-8")) == {"data": []}


# ----------------------------------------------------------------------------- bad input


def test_a_bad_inventory_is_positioned_exits_1_and_stores_nothing(
    catalogue_db: str, tmp_path: Path
) -> None:
    db = catalogue_db
    bad = tmp_path / "bad.yaml"
    text = CASE.read_text(encoding="utf-8")
    wrong = "clinker_produced: 750000 kWh"
    bad.write_text(text.replace("clinker_produced: 750000 t", wrong), encoding="utf-8")
    line = text[: text.index("clinker_produced: 750000 t")].count("\n") + 1
    refused = catalogue(db, "submit", "cement", str(bad))
    assert refused.returncode == 1
    assert f"bad.yaml:{line}:5: error[E501]" in refused.stderr
    assert f"{line} |     {wrong}" in refused.stderr and "Traceback" not in refused.stderr
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(CASE.read_bytes().replace("P·O".encode(), "P·O".encode("latin-1")))
    assert "error[E013]" in catalogue(db, "submit", "cement", str(latin)).stderr
    missing = catalogue(db, "submit", "cement", str(tmp_path / "none.yaml"))
    assert missing.returncode == 2 and "error[E002]" in missing.stderr
    assert ok(catalogue(db, "list", "--submissions")).stdout.strip() == "no submissions"
    assert as_json(catalogue(db, "log", "--json")) == []


def test_spreadsheet_inventories_are_read_and_kept_byte_for_byte(
    catalogue_db: str, tmp_path: Path, cement: Any
) -> None:
    db = catalogue_db
    inventory = load_case(CASE)["inventory"]
    workbook, sheet = tmp_path / "plant.xlsx", tmp_path / "plant.csv"
    write_xlsx(cement, "zh", workbook)
    fill_xlsx(workbook, cement, inventory, "zh")
    sheet.write_text(template_csv(cement), encoding="utf-8-sig")
    fill_csv(sheet, cement, inventory)
    for path in (workbook, sheet):
        done = submitted(db, path)
        assert done["total"] == pytest.approx(TYPICAL_TOTAL, rel=1e-6)
        kept = tmp_path / f"kept{path.suffix}"
        record = as_json(
            catalogue(db, "show", done["submission"], "--json", "--inventory-out", str(kept))
        )
        assert kept.read_bytes() == path.read_bytes()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert record["inventory"]["sha256"] == digest
        assert record["result"]["provenance"]["inventory"]["sha256"] == digest
    # A clerk's mistake in one cell: the finding names its row and column, nothing is filed.
    lines = sheet.read_text(encoding="utf-8-sig").splitlines()
    row = next(n for n, text in enumerate(lines, start=1) if text.startswith("cement,"))
    lines[row - 1] = lines[row - 1].replace("1000000 t", "-5 t")
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    refused = catalogue(db, "submit", "cement", str(sheet))
    assert refused.returncode == 1 and f"plant.csv: D{row}: cement: -5 t" in refused.stderr
    assert len(as_json(catalogue(db, "list", "--submissions", "--json"))) == 2


# ----------------------------------------------------------------------------- signing


def test_publication_signs_with_the_catalogues_key(catalogue_db: str, tmp_path: Path) -> None:
    db = catalogue_db
    ok(zuji("keys", "new", "--out", str(tmp_path)))
    key, public = tmp_path / "zuji-signing.key", tmp_path / "zuji-signing.pub"
    not_a_key = tmp_path / "notes.txt"
    not_a_key.write_text("not a key", encoding="utf-8")
    assert "error[E730]" in catalogue(db, "init", "--signing-key", str(not_a_key)).stderr
    said = ok(catalogue(db, "init", "--signing-key", str(key))).stdout
    assert "publications are signed with key sha256:" in said
    submission, footprint = published(db)
    result, inventory = tmp_path / "result.json", tmp_path / "inventory.yaml"
    ok(
        catalogue(
            db, "show", footprint, "--result-out", str(result), "--inventory-out", str(inventory)
        )
    )
    signature = json.loads(result.read_text(encoding="utf-8"))["signature"]
    assert signature["alg"] == "Ed25519" and said.split()[-1] == signature["key_id"]
    proof = zuji("verify", str(result), "--key", str(public), "--inventory", str(inventory))
    assert proof.returncode == 0, proof.stdout
    document = as_json(catalogue(db, "show", footprint, "--json"))["document"]
    assert document["extensions"][0]["data"]["keyId"] == signature["key_id"]
    assert submission in as_json(catalogue(db, "log", "--json"))[2]["subject"]


def test_a_signing_key_gone_missing_publishes_nothing(catalogue_db: str, tmp_path: Path) -> None:
    db = catalogue_db
    ok(zuji("keys", "new", "--out", str(tmp_path / "kept")))
    ok(zuji("keys", "new", "--out", str(tmp_path / "other")))
    key = tmp_path / "kept" / "zuji-signing.key"
    ok(catalogue(db, "init", "--signing-key", str(key)))
    key.unlink()
    submission = submitted(db)["submission"]
    ok(catalogue(db, "verify", submission, "--accept"))
    refused = catalogue(db, "publish", submission)
    assert refused.returncode == 1 and "error[E953]" in refused.stderr
    assert as_json(catalogue(db, "list", "--json")) == []
    given = tmp_path / "other" / "zuji-signing.key"
    ok(catalogue(db, "publish", submission, "--signing-key", str(given)))
    assert len(as_json(catalogue(db, "list", "--json"))) == 1


# ----------------------------------------------------------------------------- deprecation


def test_a_published_footprint_never_changes_and_is_deprecated_once(catalogue_db: str) -> None:
    db = catalogue_db
    submission, footprint = published(db)
    before = as_json(catalogue(db, "show", footprint, "--json"))["document"]
    refused = catalogue(db, "deprecate", footprint)
    assert refused.returncode == 1 and "error[E946]" in refused.stderr
    said = ok(catalogue(db, "deprecate", footprint, "--reason", "kiln data was wrong"))
    assert said.stdout.strip() == f"footprint {footprint} deprecated"
    after = as_json(catalogue(db, "show", footprint, "--json"))
    assert after["status"] == "Deprecated"
    assert after["document"] == {**before, "status": "Deprecated"}
    assert after["audit"][-1]["reason"] == "kiln data was wrong"
    again = catalogue(db, "deprecate", footprint, "--reason", "twice")
    assert again.returncode == 1 and "error[E948]" in again.stderr
    twice = catalogue(db, "publish", submission)
    assert twice.returncode == 1 and "error[E948]" in twice.stderr
    unknown = catalogue(db, "deprecate", "no-such-id", "--reason", "x")
    assert unknown.returncode == 1 and "error[E949]" in unknown.stderr


# ----------------------------------------------------------------------------- clients


def test_clients_roles_and_shares(catalogue_db: str) -> None:
    db = catalogue_db
    early = catalogue(db, "client", "add", "acme", "--role", "enterprise", "--enterprise", COMPANY)
    assert early.returncode == 1 and "error[E951]" in early.stderr  # not yet filed
    not_urn = catalogue(db, "enterprise", "add", COMPANY, "--company-id", "91370000MA3C")
    assert not_urn.returncode == 1 and "error[E952]" in not_urn.stderr
    uscc = "urn:uscc:91370000MA3C00000X"  # an invented unified social credit code
    filed = ok(
        catalogue(db, "enterprise", "add", COMPANY, "--region", "CN-SD", "--company-id", uscc)
    )
    assert filed.stdout.strip() == f"filed enterprise {COMPANY} (id 1)"
    again = ok(catalogue(db, "enterprise", "add", COMPANY)).stdout
    assert again.strip() == f"{COMPANY} is filed already (id 1)"
    assert submitted(db)["enterprise"] == COMPANY  # its submissions are filed under it
    made = ok(
        catalogue(db, "client", "add", "acme", "--role", "enterprise", "--enterprise", COMPANY)
    )
    secret = made.stdout.split("client_secret:")[1].split()[0]
    assert "cannot be shown again" in made.stderr
    for mistake in (
        ("acme", "--role", "verifier"),  # exists already
        ("bob", "--role", "auditor"),  # no such role
        ("carol", "--role", "enterprise"),  # an enterprise client names its enterprise
        ("Not An Id", "--role", "admin"),
    ):
        refused = catalogue(db, "client", "add", *mistake)
        assert refused.returncode == 1 and "error[E950]" in refused.stderr, mistake
    url = "https://buyer.example/3/events"
    ok(catalogue(db, "client", "add", "buyer", "--role", "customer", "--events-url", url))
    ok(catalogue(db, "client", "add", "programme", "--role", "verifier", "--role", "admin"))
    listed = {c["client_id"]: c for c in as_json(catalogue(db, "client", "list", "--json"))}
    assert listed["acme"]["roles"] == ["enterprise"] and listed["acme"]["enterprise"] == COMPANY
    assert listed["buyer"]["events_url"] == url
    assert listed["programme"]["roles"] == ["admin", "verifier"]
    table = ok(catalogue(db, "client", "list")).stdout
    assert secret not in table and secret not in json.dumps(listed)
    with store.open_store(db) as opened:
        gate = Gate.reading(lambda: clients.registry(opened))
        assert gate.client("acme", secret).scopes == ("enterprise",)
    said = ok(catalogue(db, "share", COMPANY, "buyer")).stdout
    assert said.strip() == f"buyer may read the footprints of {COMPANY}"
    ok(catalogue(db, "client", "remove", "buyer"))
    assert "buyer" not in ok(catalogue(db, "client", "list")).stdout
    gone = catalogue(db, "client", "remove", "buyer")
    assert gone.returncode == 1 and "error[E950]" in gone.stderr
    actions = [e["action"] for e in as_json(catalogue(db, "log", "--json"))]
    assert actions[0] == "register" and actions.count("register") == 1
    assert actions[-5:] == ["client add", "client add", "client add", "share", "client remove"]


# ----------------------------------------------------------------------------- the audit log


def test_the_audit_log_only_grows(catalogue_db: str) -> None:
    db = catalogue_db
    seen: list[dict[str, Any]] = []
    steps = [
        ("submit", "cement", str(CASE)),
        ("verify", "{submission}", "--return", "--comments", "CaO share not measured"),
        ("submit", "cement", str(CASE)),
        ("verify", "{latest}", "--accept"),
        ("publish", "{latest}", "--reason", "verified by v1"),
    ]
    ids: dict[str, str] = {}
    for step in steps:
        args = [a.format(**ids) if "{" in a else a for a in step]
        said = ok(catalogue(db, *args, "--by", "tester")).stdout
        if step[0] == "submit":
            ids["latest"] = said.split()[1]
            ids.setdefault("submission", ids["latest"])
        now = as_json(catalogue(db, "log", "--json"))
        assert now[: len(seen)] == seen  # earlier entries are never changed or removed
        assert len(now) > len(seen)
        seen = now
    assert [e["action"] for e in seen] == [
        "register",
        "submit",
        "return",
        "submit",
        "accept",
        "publish",
    ]
    assert seen[2]["reason"] == "CaO share not measured" and seen[5]["reason"] == "verified by v1"
    about = as_json(catalogue(db, "log", "--subject", ids["submission"], "--json"))
    assert [e["action"] for e in about] == ["submit", "return"]
    assert as_json(catalogue(db, "log", "--after", str(seen[3]["id"]), "--json")) == seen[4:]
    table = ok(catalogue(db, "log")).stdout
    assert "CaO share not measured" in table and "tester" in table


# ----------------------------------------------------------------------------- usage


@pytest.mark.parametrize(
    "args",
    [
        ("verify", "some-id"),
        ("list", "--state", "returned"),
        ("list", "--submissions", "--status", "Active"),
        ("list", "--status", "Retired"),
        ("list", "--submissions", "--state", "lost"),
        ("export", "--format", "xml"),
    ],
)
def test_options_that_do_not_fit_are_usage_mistakes(args: tuple[str, ...], tmp_path: Path) -> None:
    db = str(tmp_path / "catalogue.db")
    ok(catalogue(db, "init"))
    refused = catalogue(db, *args)
    assert refused.returncode == 2 and "error[E952]" in refused.stderr, refused.stderr


def test_reading_a_catalogue_that_is_not_there(tmp_path: Path) -> None:
    missing = str(tmp_path / "none.db")
    for args in (("list",), ("show", "x"), ("log",), ("export",), ("client", "list")):
        refused = catalogue(missing, *args)
        assert refused.returncode == 2 and "error[E941]" in refused.stderr, args
    assert not Path(missing).exists()
    unknown = catalogue(str(tmp_path / "new.db"), "show", "no-such-id")  # submit made it
    assert unknown.returncode == 2
    ok(catalogue(str(tmp_path / "new.db"), "init"))
    unknown = catalogue(str(tmp_path / "new.db"), "show", "no-such-id")
    assert unknown.returncode == 1 and "error[E947]" in unknown.stderr


# ----------------------------------------------------------------------------- Chinese


def test_the_catalogue_speaks_chinese(catalogue_db: str) -> None:
    db = catalogue_db
    said = ok(catalogue(db, "submit", "cement", str(CASE), lang="zh")).stdout
    assert said.startswith("已提交 ") and re.search(r"：每 1 t [\d,]+\.\d{4} kg CO2e$", said, re.M)
    table = ok(catalogue(db, "list", "--submissions", lang="zh")).stdout
    assert "企业" in table and "状态" in table and "已提交" in table
    decision = catalogue(db, "verify", "x", lang="zh")
    assert "需要给出决定" in decision.stderr and "error[E952]" in decision.stderr
    unknown = catalogue(db, "show", "no-such-id", lang="zh")
    assert "产品目录中没有编号为 no-such-id 的提交记录或碳足迹" in unknown.stderr
    assert ok(catalogue(db, "log", lang="zh")).stdout.splitlines()[0].split()[:3] == [
        "#",
        "┃",
        "时间",
    ]
