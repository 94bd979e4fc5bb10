"""Signed, replayable results: what a result pins, keys, sign, verify, forged results, clear
errors for every mistake in a result, a key or a signature, and the PACT signature extension."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import rfc8785
from cli_kit import zuji as zuji_cli

import zuji
from zuji.core import library
from zuji.core.errors import InventoryError
from zuji.exchange.replay import replay, replay_file
from zuji.runtime.result import Result

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "pcr" / "cement" / "cases"
CASE = CASES / "purchased_clinker.yaml"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    done = zuji_cli("keys", "new", "--out", str(folder))
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def result_text() -> str:
    done = zuji_cli("run", "cement", "-i", str(CASE), "--format", "json", "--trace")
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def signed(tmp_path: Path, keys: Path, result_text: str) -> Path:
    path = tmp_path / "result.json"
    path.write_text(result_text, encoding="utf-8")
    done = zuji_cli("sign", str(path), "--key", str(keys / "zuji-signing.key"))
    assert done.returncode == 0, done.stderr
    return path


def _edit(path: Path, change: Any, name: str = "edited.json") -> Path:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    out = path.with_name(name)
    out.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return out


def _no_traceback(done: Any) -> None:
    assert "Traceback" not in done.stdout + done.stderr


# ----------------------------------------------------------------------------- what is pinned


def test_result_pins_the_exact_bytes_of_every_file_it_was_computed_from(result_text: str) -> None:
    pinned = json.loads(result_text)["provenance"]
    assert pinned["inventory"] == {
        "sha256": hashlib.sha256(CASE.read_bytes()).hexdigest(),
        "of": "bytes",
    }
    assert (
        pinned["pcr"]["sha256"]
        == hashlib.sha256((ROOT / "pcr" / "cement" / "cement.pcr").read_bytes()).hexdigest()
    )
    assert {m["id"] for m in pinned["modules"]} >= {"electricity", "calcination"}
    for module in pinned["modules"]:
        assert module["sha256"] == hashlib.sha256((ROOT / module["file"]).read_bytes()).hexdigest()
    for dataset in pinned["datasets"]:
        path = library.factors_root() / f"{dataset['id']}.yaml"
        assert dataset["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert dataset["version"]
    gwp = library.gwp_root() / f"{pinned['gwp']['id']}.yaml"
    assert pinned["gwp"]["sha256"] == hashlib.sha256(gwp.read_bytes()).hexdigest()
    assert pinned["engine_version"] == zuji.__version__


def test_a_mapping_inventory_is_pinned_by_its_canonical_json() -> None:
    import yaml

    document = yaml.safe_load(CASE.read_text(encoding="utf-8"))["inventory"]
    cement = zuji.load("cement")
    inventory = cement.inventory(document, base=CASES)
    result = cement.evaluate(inventory)
    assert result.provenance is not None
    assert result.provenance.inventory.of == "rfc8785"
    expected = hashlib.sha256(rfc8785.dumps(json.loads(json.dumps(document, default=str))))
    assert result.provenance.inventory.sha256 == expected.hexdigest()
    # bytes the caller received (an HTTP body) are pinned as they are
    given = cement.inventory(document, base=CASES, received=b"body")
    assert given.sha256 == hashlib.sha256(b"body").hexdigest() and given.hashed == "bytes"


def test_a_mapping_evaluated_at_once_is_pinned_as_given_though_changed_since() -> None:
    """pcr.evaluate(mapping) pins the inventory when its result is first presented: the digest
    is that of the mapping as it was given, whatever its caller has done with it since; one
    whose canonical form fails is still refused at once, not when the result is read."""
    import copy

    import yaml

    typical = CASES / "typical_plant.yaml"  # its supplier documents inline: none by file
    document = yaml.safe_load(typical.read_text(encoding="utf-8"))["inventory"]
    expected = hashlib.sha256(rfc8785.dumps(json.loads(json.dumps(document, default=str))))
    cement = zuji.load("cement")
    given = copy.deepcopy(document)
    result = cement.evaluate(given)
    given["company"] = "changed after the evaluation"
    given["inputs"]["cement"] = "1 t"
    assert result.provenance is not None
    assert result.provenance.inventory.sha256 == expected.hexdigest()
    assert result.provenance.inventory.of == "rfc8785"
    unwritable = (
        {"company": "x\ud800"},  # a lone surrogate, which neither UTF-8 nor JCS can write
        {"inputs": {**document["inputs"], "slag": {"value": 2**60, "unit": "t"}}},
        {"inputs": {**document["inputs"], "slag": {"value": 1, "unit": "t", "note": "\udfff"}}},
    )
    for changed in unwritable:
        with pytest.raises(InventoryError) as refused:
            cement.evaluate({**document, **changed})
        assert [d.code for d in refused.value.diagnostics] == ["E501"]
        assert "cannot be written as canonical JSON" in refused.value.diagnostics[0].message


def test_an_inventory_pinned_later_is_sent_elsewhere_pinned() -> None:
    """An inventory whose pin waits for its first read (pin_later) is pickled (to a worker
    process) with its digest worked out, the digest an inventory pinned at once has."""
    import pickle

    import yaml

    from zuji.runtime.inventory import read_inventory

    document = yaml.safe_load((CASES / "typical_plant.yaml").read_text("utf-8"))["inventory"]
    cement = zuji.load("cement")
    rule, standards, choices = cement.rule, cement.standards, cement.choices
    later = read_inventory(document, rule, standards, "<inventory>", choices, pin_later=True)
    sent = pickle.loads(pickle.dumps(later))
    assert sent.sha256 == cement.inventory(document).sha256 == later.sha256
    assert sent.hashed == "rfc8785"


def test_the_published_result_schema_is_the_models() -> None:
    published = json.loads((library.schemas_root() / "result.schema.json").read_text("utf-8"))
    generated = Result.model_json_schema()
    assert published["$defs"] == generated["$defs"]
    assert published["properties"] == generated["properties"]
    assert {"Provenance", "Signature", "SourceHash"} <= set(published["$defs"])


# ----------------------------------------------------------------------------- keys and signing


def test_keys_new_writes_a_private_key_only_its_owner_reads(keys: Path) -> None:
    private, public = keys / "zuji-signing.key", keys / "zuji-signing.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in private.read_bytes()
    assert b"BEGIN PUBLIC KEY" in public.read_bytes()
    again = zuji_cli("keys", "new", "--out", str(keys))
    assert again.returncode == 2 and "E735" in again.stderr and "never overwritten" in again.stderr
    assert not [p for p in keys.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_a_signed_result_verifies_and_names_its_key(signed: Path, keys: Path) -> None:
    block = json.loads(signed.read_text(encoding="utf-8"))["signature"]
    assert block["alg"] == "Ed25519" and block["canonicalization"] == "RFC 8785"
    done = zuji_cli("verify", str(signed), "--key", str(keys / "zuji-signing.pub"), "-i", str(CASE))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verified" in done.stdout and block["key_id"][:23] in done.stdout
    assert "ok   inventory" in done.stdout and "all" in done.stdout


def test_the_signature_is_over_the_rfc8785_form_any_verifier_can_rebuild(
    signed: Path, keys: Path
) -> None:
    """Checked with cryptography and rfc8785 directly, as a verifier without Zuji would."""
    import base64

    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    document = json.loads(signed.read_text(encoding="utf-8"))
    block = document.pop("signature")
    key = load_pem_public_key((keys / "zuji-signing.pub").read_bytes())
    signature = base64.urlsafe_b64decode(block["value"] + "==")
    key.verify(signature, rfc8785.dumps(document))  # type: ignore[union-attr]


def test_detached_signature(tmp_path: Path, keys: Path, result_text: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(result_text, encoding="utf-8")
    done = zuji_cli("sign", str(path), "--key", str(keys / "zuji-signing.key"), "--detached")
    assert done.returncode == 0, done.stderr
    assert path.read_text(encoding="utf-8") == result_text  # the result itself is untouched
    pub = str(keys / "zuji-signing.pub")
    ok = zuji_cli("verify", str(path), "--key", pub, "--signature", f"{path}.sig")
    assert ok.returncode == 0, ok.stdout
    unsigned = zuji_cli("verify", str(path), "--key", pub)
    assert unsigned.returncode == 1 and "not signed" in unsigned.stdout


# ----------------------------------------------------------------------------- forged results


def test_a_forged_result_recomputed_consistently_fails_verify(
    tmp_path: Path, signed: Path, keys: Path
) -> None:
    """An input changed, the figures recomputed with Zuji itself, the old signature kept."""
    forged_inventory = tmp_path / "case.yaml"
    text = CASE.read_text(encoding="utf-8")
    assert "gypsum: 50000 t" in text
    forged_inventory.write_text(text.replace("gypsum: 50000 t", "gypsum: 40000 t"), "utf-8")
    for extra in CASES.glob("*.json"):  # the supplier document the case names
        (tmp_path / extra.name).write_bytes(extra.read_bytes())
    run = zuji_cli("run", "cement", "-i", str(forged_inventory), "--format", "json", "--trace")
    assert run.returncode == 0, run.stderr
    forged = json.loads(run.stdout)
    assert replay(forged).matches  # consistent: replay alone cannot tell
    original = json.loads(signed.read_text(encoding="utf-8"))
    forged["signature"] = original["signature"]
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged), encoding="utf-8")
    pub = str(keys / "zuji-signing.pub")
    done = zuji_cli("verify", str(path), "--key", pub)
    assert done.returncode == 1 and "FAIL signature" in done.stdout, done.stdout
    _no_traceback(done)
    # without a signature, the inventory's hash gives it away, and the input is named
    del forged["signature"]
    path.write_text(json.dumps(forged), encoding="utf-8")
    done = zuji_cli("verify", str(path), "-i", str(CASE))
    assert done.returncode == 1 and "FAIL inventory" in done.stdout, done.stdout
    assert "input gypsum changed" in done.stdout


def test_tampered_signature_wrong_key_and_bad_key_files(
    tmp_path: Path, signed: Path, keys: Path
) -> None:
    pub = str(keys / "zuji-signing.pub")

    def flip(d: dict[str, Any]) -> None:
        value = d["signature"]["value"]
        d["signature"]["value"] = ("B" if value[0] == "A" else "A") + value[1:]

    done = zuji_cli("verify", str(_edit(signed, flip)), "--key", pub)
    assert done.returncode == 1 and "does not match the result" in done.stdout
    other = tmp_path / "other"
    assert zuji_cli("keys", "new", "--out", str(other)).returncode == 0
    wrong = zuji_cli("verify", str(signed), "--key", str(other / "zuji-signing.pub"))
    assert wrong.returncode == 1 and "give the public key of the signer" in wrong.stdout
    missing = zuji_cli("verify", str(signed), "--key", str(tmp_path / "nope.pub"))
    assert missing.returncode == 2 and "E002" in missing.stderr and "not found" in missing.stderr
    not_a_key = tmp_path / "x.pub"
    not_a_key.write_text("hello\n", encoding="utf-8")
    bad = zuji_cli("verify", str(signed), "--key", str(not_a_key))
    assert bad.returncode == 2 and "E730" in bad.stderr
    sign_missing = zuji_cli("sign", str(signed), "--key", str(tmp_path / "none.key"))
    assert sign_missing.returncode == 2 and "not found" in sign_missing.stderr
    sign_public = zuji_cli("sign", str(signed), "--key", pub)
    assert sign_public.returncode == 2 and "E730" in sign_public.stderr
    malformed = zuji_cli(
        "verify", str(_edit(signed, lambda d: d["signature"].update(alg="RSA"))), "--key", pub
    )
    assert malformed.returncode == 1 and "signature.alg" in malformed.stderr
    for ran in (done, wrong, missing, bad, sign_missing, sign_public, malformed):
        _no_traceback(ran)


def test_verify_with_nothing_to_tie_the_result_to_its_source(
    tmp_path: Path, result_text: str
) -> None:
    path = tmp_path / "r.json"
    path.write_text(result_text, encoding="utf-8")
    done = zuji_cli("verify", str(path), cwd=tmp_path)  # the named inventory is not reachable
    assert done.returncode == 1 and "nothing ties the result to its source" in done.stdout


# ----------------------------------------------------------------------------- replay's report


def test_a_changed_input_is_named_first_and_its_consequences_summarised(
    tmp_path: Path, signed: Path
) -> None:
    def change(d: dict[str, Any]) -> None:
        next(i for i in d["trace"]["inputs"] if i["name"] == "gypsum")["value"] = 51000.0

    outcome = replay_file(_edit(signed, change))
    lines = outcome.report().splitlines()
    assert lines[1].startswith("  cause: input gypsum changed")
    assert "50000.0 t" in lines[1] and "51000.0 t" in lines[1]
    assert outcome.explained + len(outcome.differences) > 20
    assert len(lines) < 15, outcome.report()


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        (("pcr", "status"), "approved", "pcr.status: file 'approved', recomputed 'draft'"),
        (("pcr", "gwp"), "AR5", "pcr.gwp: file 'AR5', recomputed 'AR6'"),
        (("pcr", "version"), "9.9.9", "pcr.version: file '9.9.9'"),
        (("pcr", "boundary"), "cradle_to_grave", "pcr.boundary"),
        (("unit",), "t CO2e", "unit: file 't CO2e'"),
        (("declared_unit", "unit"), "kg", "declared_unit.unit"),
        (("inventory", "company"), "Other Co.", "inventory.company: file 'Other Co.'"),
        (("inventory", "product"), "P·I 52.5", "inventory.product: file 'P·I 52.5'"),
        (("inventory", "period_end"), "2023-12-31", "inventory.period_end: file '2023-12-31'"),
    ],
)
def test_text_fields_are_compared(
    signed: Path, field: tuple[str, ...], value: str, shown: str
) -> None:
    def change(d: dict[str, Any]) -> None:
        node = d
        for step in field[:-1]:
            node = node[step]
        node[field[-1]] = value

    outcome = replay_file(_edit(signed, change))
    assert not outcome.matches and shown in outcome.report(), outcome.report()


def test_engine_and_dataset_versions_are_named_as_causes(signed: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["engine"] = "zuji 0.0.1"
        d["provenance"]["engine_version"] = "0.0.1"
        d["provenance"]["datasets"][0]["sha256"] = "0" * 64

    report = replay_file(_edit(signed, change)).report()
    assert "cause: the engine differs: the result was computed by zuji 0.0.1" in report
    assert "cause: dataset cement_process: the result pins sha256 0000000000000000" in report


# ----------------------------------------------------------------------------- malformed results


@pytest.mark.parametrize(
    ("change", "code", "where"),
    [
        (
            lambda d: d["inventory"].update(period_start="2022-13-45"),
            "E720",
            "inventory.period_start",
        ),
        (lambda d: d["trace"]["inputs"][2].update(name="renamed"), "E721", "trace.inputs[2].name"),
        (lambda d: d.pop("by_stage"), "E720", "by_stage"),
        (lambda d: d.update(total="664"), "E720", "total"),
        (lambda d: d["trace"]["inputs"][0].update(value="many"), "E721", "trace.inputs[0].value"),
        (
            lambda d: d["trace"]["inputs"][0].update(origin="guess"),
            "E721",
            "trace.inputs[0].origin",
        ),
        (lambda d: d["trace"].update(inputs=[]), "E721", "trace"),
        (lambda d: d["trace"]["inputs"].append(d["trace"]["inputs"][0]), "E721", "given twice"),
        (lambda d: d["pcr"].update(id="no_such_pcr"), "E721", "pcr.id"),
    ],
)
def test_malformed_results_get_positioned_diagnostics(
    signed: Path, change: Any, code: str, where: str
) -> None:
    path = _edit(signed, change)
    done = zuji_cli("replay", str(path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"[{code}]" in done.stdout and where in done.stdout, done.stdout
    assert f"{path.name}:" in done.stdout  # file:line:col
    _no_traceback(done)
    verified = zuji_cli("verify", str(path), "-i", str(CASE))
    assert verified.returncode == 1 and code in verified.stdout + verified.stderr
    _no_traceback(verified)


def test_the_diagnostic_points_at_the_line_of_the_bad_field(signed: Path) -> None:
    path = _edit(signed, lambda d: d["inventory"].update(period_start="2022-13-45"))
    outcome = replay_file(path)
    problem = outcome.problems[0]
    assert problem.span is not None
    line = path.read_text(encoding="utf-8").splitlines()[problem.span.line - 1]
    assert '"period_start": "2022-13-45"' in line


def test_a_result_that_is_not_an_object_or_not_json(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("[1, 2]", encoding="utf-8")
    assert not replay_file(path).matches
    path.write_text('{"total": ', encoding="utf-8")
    done = zuji_cli("replay", str(path))
    assert done.returncode == 2 and "r.json:1:" in done.stderr
    assert replay([1]).problems  # the Python API says it too, without raising


# ----------------------------------------------------------------------------- PACT


def test_pact_from_a_signed_result_carries_the_signature_extension(
    signed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pact.json"
    done = zuji_cli("pact", str(signed), "-o", str(out))
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    (extension,) = document["extensions"]
    assert extension["specVersion"] == "2.0.0"
    schema_path = library.schemas_root() / "pact-signature-extension.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    assert extension["dataSchema"] == schema["$id"]
    jsonschema.Draft202012Validator(schema).validate(extension["data"])
    result = json.loads(signed.read_text(encoding="utf-8"))
    assert extension["data"]["signature"] == result["signature"]["value"]
    unsigned = {k: v for k, v in result.items() if k != "signature"}
    assert extension["data"]["resultSha256"] == hashlib.sha256(rfc8785.dumps(unsigned)).hexdigest()
    plain = zuji_cli("pact", str(_edit(signed, lambda d: d.pop("signature"))))
    assert "extensions" not in json.loads(plain.stdout)
    assert json.loads(plain.stdout)["id"] == document["id"]  # signing keeps the PACT id


def test_a_result_without_a_canonical_form_cannot_be_signed(signed: Path, keys: Path) -> None:
    # an integer beyond 2**53 is valid JSON but has no RFC 8785 form (IEEE doubles only)
    path = _edit(signed, lambda d: d["declared_unit"].update(amount=2**60))
    done = zuji_cli("sign", str(path), "--key", str(keys / "zuji-signing.key"))
    assert done.returncode == 1 and "E736" in done.stderr, done.stdout + done.stderr
    _no_traceback(done)


def test_verify_opens_no_inventory_outside_the_working_folder_by_itself(
    tmp_path: Path, result_text: str
) -> None:
    """A result naming /etc/passwd or ../x as its inventory gets no file opened for it."""
    import sys

    opened: list[str] = []
    watching: list[bool] = []  # audit hooks cannot be removed: this one acts only while set

    def audit(event: str, args: tuple[Any, ...]) -> None:
        if watching and event == "open" and isinstance(args[0], str) and "passwd" in args[0]:
            opened.append(args[0])

    sys.addaudithook(audit)
    (tmp_path / "work").mkdir()
    (tmp_path / "passwd").write_text("root:x:0:0\n", encoding="utf-8")
    for named in ("/etc/passwd", "../passwd"):
        path = _edit_text(tmp_path / "work" / "r.json", result_text, named)
        watching.append(True)
        try:
            done = zuji_cli("verify", str(path), cwd=tmp_path / "work")
        finally:
            watching.clear()
        assert done.returncode == 1 and "not given" in done.stdout
        assert "root:x" not in done.stdout + done.stderr
    assert opened == []


def _edit_text(path: Path, text: str, inventory_file: str) -> Path:
    document = json.loads(text)
    document["inventory"]["file"] = inventory_file
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_hostile_result_files_are_refused_without_a_traceback(tmp_path: Path, signed: Path) -> None:
    text = signed.read_text(encoding="utf-8")
    deep = '{"a":' * 900 + "1" + "}" * 900
    path = tmp_path / "deep.json"
    path.write_text(text.replace('"supplier": {}', '"supplier": ' + deep, 1), encoding="utf-8")
    for command in ("replay", "verify"):
        done = zuji_cli(command, str(path))
        assert done.returncode == 1 and "nested deeper than 64 levels" in done.stdout + done.stderr
        _no_traceback(done)
    twice = tmp_path / "twice.json"
    twice.write_text(text.replace('"total":', '"total": 1, "total":', 1), encoding="utf-8")
    done = zuji_cli("replay", str(twice))
    assert done.returncode == 2 and "the key 'total' is given twice" in done.stderr
    _no_traceback(done)


def test_the_markdown_report_shows_the_pins_and_the_signer(signed: Path) -> None:
    from zuji.exchange.result_file import read_result
    from zuji.interfaces.report import to_markdown

    result = read_result(signed).result
    text = to_markdown(result)
    assert result.provenance is not None and result.signature is not None
    assert f"Inventory sha256: `{result.provenance.inventory.sha256}`" in text
    assert f"Signed: Ed25519, key `{result.signature.key_id}`" in text


def test_the_inventory_a_result_names_is_checked_but_proves_nothing_alone(
    tmp_path: Path, result_text: str
) -> None:
    path = tmp_path / "r.json"
    path.write_text(result_text, encoding="utf-8")
    done = zuji_cli("verify", str(path))  # from the repository: the named case file is there
    assert done.returncode == 1, done.stdout
    assert "ok   inventory named by the result" in done.stdout
    assert "give --inventory" in done.stdout
    given = zuji_cli("verify", str(path), "-i", str(CASE))
    assert given.returncode == 0 and "ok   inventory:" in given.stdout, given.stdout


def test_texts_from_a_result_reach_the_terminal_without_control_characters(signed: Path) -> None:
    path = _edit(signed, lambda d: d["inventory"].update(company="Evil\x1b]0;owned\x07 Co."))
    for command in (("replay", str(path)), ("verify", str(path), "-i", str(CASE))):
        done = zuji_cli(*command)
        assert done.returncode == 1 and "inventory.company" in done.stdout
        assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout
