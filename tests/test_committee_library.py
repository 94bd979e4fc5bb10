"""A committee's repository is a full library: built from nothing but `zuji init`, with a PCR of
its own (flat glass, tests/fixtures/committee_glass), its own dataset and hand-computed cases, and
every command run against it from inside the repository. The furnace's fuels are one list whose
items are in different units (heavy oil in t, natural gas in Nm3, steam in GJ), so every command
meets a list of mixed units too."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from cli_kit import zuji
from review_kit import commit, repository
from serve_kit import start

from zuji.core import library
from zuji.core.access import add_client
from zuji.interfaces.init_cli import init_repository

GLASS = Path(__file__).parent / "fixtures" / "committee_glass"


def _committee(folder: Path) -> Path:
    """A repository from `zuji init`, with flat glass, its dataset and cases committed in git."""
    repository(folder)
    made = zuji("init", str(folder))
    assert made.returncode == 0, made.stderr
    rule = folder / "pcr" / "flat_glass"
    (rule / "cases").mkdir(parents=True)
    shutil.copy(GLASS / "flat_glass.pcr", rule / "flat_glass.pcr")
    for case in (GLASS / "cases").glob("*.yaml"):
        shutil.copy(case, rule / "cases" / case.name)
    shutil.copy(GLASS / "glass_batch.yaml", folder / "standards" / "factors" / "glass_batch.yaml")
    commit(folder, "Flat glass 1.0.0")
    return folder


@pytest.fixture
def committee(tmp_path: Path) -> Path:
    return _committee(tmp_path / "glass-committee")


def test_init_writes_a_repository_that_checks_and_tests_clean(tmp_path: Path) -> None:
    folder = tmp_path / "lime"
    made = zuji("init", str(folder), "--lang", "zh")
    assert made.returncode == 0, made.stderr
    for name in ("zuji.toml", "README.md", ".gitignore", "ci/check.sh"):
        assert (folder / name).is_file(), name
    assert "产品种类规则" in (folder / "README.md").read_text(encoding="utf-8")
    assert "zuji check" in (folder / "ci" / "check.sh").read_text(encoding="utf-8")
    assert zuji("check", "--strict", cwd=folder).returncode == 0
    tested = zuji("test", cwd=folder)
    assert tested.returncode == 0, tested.stdout
    assert "ok   quicklime/sample_kiln" in tested.stdout
    again = zuji("init", str(folder))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_every_command_works_on_the_committee_library(committee: Path) -> None:
    checked = zuji("check", cwd=committee)
    assert checked.returncode == 0, checked.stdout
    assert "checked 2 rule files: 0 errors" in checked.stdout

    tested = zuji("test", cwd=committee / "pcr")  # from any folder inside the repository
    assert tested.returncode == 0, tested.stdout
    assert "cases: 3 passed, 0 failed" in tested.stdout

    listed = json.loads(zuji("list", "--json", cwd=committee).stdout)
    assert sorted(row["id"] for row in listed) == ["flat_glass", "quicklime"]

    inventory = committee / "inventory.json"
    document = yaml.safe_load((GLASS / "cases" / "float_line_2023.yaml").read_text())["inventory"]
    inventory.write_text(json.dumps(document, default=str), encoding="utf-8")
    ran = zuji("run", "flat_glass", "-i", str(inventory), "--format", "json", cwd=committee)
    assert ran.returncode == 0, ran.stderr
    # The case's hand computation: 580.885 kg CO2e per t glass (the case file shows the sums),
    # its furnace's heavy oil written in kt, natural gas in 万Nm3 and steam in TJ.
    assert json.loads(ran.stdout)["total"] == pytest.approx(580.885, rel=1e-6)
    lines = {x["name"]: x["co2e_kg"] for x in json.loads(ran.stdout)["lines"]}
    assert lines["furnace_fuels_burned"] == pytest.approx(356.035, rel=1e-6)

    sampled = zuji(
        "mc", "flat_glass", "-i", str(inventory), "-n", "50", "--seed", "1", cwd=committee
    )
    assert sampled.returncode == 0 and "580.8850" in sampled.stdout, sampled.stderr

    # Worker processes learn the library from ZUJI_LIBRARY and load flat_glass by its id.
    rows = committee / "rows.jsonl"
    rows.write_text(inventory.read_text() + "\n" + inventory.read_text() + "\n")
    out = committee / "out.csv"
    batch = zuji("batch", "flat_glass", str(rows), "-o", str(out), "--workers", "2", cwd=committee)
    assert batch.returncode == 0, batch.stdout + batch.stderr
    assert out.read_text().count(',"ok",') == 2

    schema = zuji("schema", "flat_glass", cwd=committee)
    inputs = json.loads(schema.stdout)["properties"]["inputs"]["properties"]
    assert "soda_ash" in inputs
    amount = inputs["furnace_fuels"]["items"]["properties"]["amount"]
    assert amount["x-unit-by"] == {
        "field": "fuel",
        "units": {"heavy_oil": "t", "natural_gas": "Nm3", "steam": "GJ"},
    }

    rule = committee / "pcr" / "flat_glass" / "flat_glass.pcr"
    text = rule.read_text(encoding="utf-8")
    rule.write_text(
        text.replace("version 1.0.0", "version 1.0.1").replace(
            "    1.0.0 2026-12-01", '    1.0.1 2026-12-05 "Wording"\n    1.0.0 2026-12-01'
        ),
        encoding="utf-8",
    )
    commit(committee, "Flat glass 1.0.1")
    history = zuji("history", "flat_glass", cwd=committee)
    assert history.returncode == 0, history.stderr
    assert "1.0.1" in history.stdout and "1.0.0" in history.stdout


def test_an_item_in_a_unit_of_another_kind_is_refused_where_it_is_written(
    committee: Path,
) -> None:
    inventory = committee / "gas_in_tonnes.yaml"
    case = (GLASS / "cases" / "float_line_2023.yaml").read_text(encoding="utf-8")
    inventory.write_text(case.replace("amount: 3000 万Nm3}", "amount: 24 kt}"), encoding="utf-8")
    ran = zuji("run", "flat_glass", "-i", str(inventory), cwd=committee)
    assert ran.returncode == 1
    # Placed on the item's line of the file, naming the list, the item and the unit to write.
    line = 1 + case.split("\n").index("      - {fuel: natural_gas, amount: 3000 万Nm3}")
    assert f"gas_in_tonnes.yaml:{line}:" in ran.stderr
    assert "error[E503]" in ran.stderr and "furnace_fuels[1].amount" in ran.stderr
    assert "'24 kt' is mass" in ran.stderr and "measured in Nm3 (volume)" in ran.stderr
    assert "give this item's amount in Nm3" in ran.stderr


def test_the_template_asks_each_items_unit_and_reads_it_back(committee: Path) -> None:
    made = zuji("template", "flat_glass", "--format", "xlsx", "-o", "glass.xlsx", cwd=committee)
    assert made.returncode == 0, made.stderr
    from openpyxl import load_workbook

    book = load_workbook(committee / "glass.xlsx")
    sheet = book["熔窑燃料及外购蒸汽"]
    assert [c.value for c in sheet[2]] == ["fuel", "amount", "amount.unit"]
    assert "t (heavy_oil), Nm3 (natural_gas), GJ (steam)" in str(sheet["C1"].value)
    filled = {
        "glass": 1000,
        "soda_ash": 190,
        "limestone": 0,
        "dolomite": 0,
        "power": 0,
    }
    main = book["清单"]
    for row in main.iter_rows(min_row=2):
        if row[0].value in filled:
            row[3].value = filled[row[0].value]
    for number, (fuel, amount, unit) in enumerate(
        [("heavy_oil", 10, "t"), ("natural_gas", 150, "千Nm3"), ("natural_gas", 50000, "m3")],
        start=4,
    ):
        sheet.cell(number, 1, fuel)
        sheet.cell(number, 2, amount)
        sheet.cell(number, 3, unit)
    book.save(committee / "glass.xlsx")
    ran = zuji("run", "flat_glass", "-i", "glass.xlsx", "--format", "json", cwd=committee)
    assert ran.returncode == 1 and "千Nm3" in ran.stderr  # 千 is no magnitude Zuji reads
    assert "熔窑燃料及外购蒸汽!B5" in ran.stderr
    sheet.cell(5, 2, 150000)
    sheet.cell(5, 3, "Nm3")
    book.save(committee / "glass.xlsx")
    ran = zuji("run", "flat_glass", "-i", "glass.xlsx", "--format", "json", cwd=committee)
    assert ran.returncode == 0, ran.stderr
    # 190 t soda ash x 0.4152 = 78.888 t; 10 t heavy oil x 3.1705 = 31.705 t; (150 000 + 50 000)
    # Nm3 x 2.1622 kg = 432.44 t; (78.888 + 31.705 + 432.44) t / 1 000 t = 543.033 kg/t.
    assert json.loads(ran.stdout)["total"] == pytest.approx(543.033, rel=1e-9)


def test_the_bundled_library_is_not_the_committees(committee: Path) -> None:
    ran = zuji("run", "cement", "-i", "x.yaml", cwd=committee)
    assert ran.returncode == 2 and "no PCR 'cement'" in ran.stderr
    bundled = zuji("--library", str(library.root()), "list", "--json", cwd=committee)
    assert "cement" in {row["id"] for row in json.loads(bundled.stdout)}


def test_docs_publish_the_committees_pcrs_with_the_engines_site(committee: Path) -> None:
    made = zuji("docs", cwd=committee)
    assert made.returncode == 0, made.stderr
    config = committee / ".zuji" / "site" / "mkdocs.generated.yml"
    assert config.is_file()
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config)],
        capture_output=True,
        text=True,
        cwd=committee,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    site = committee / "site"
    page = (site / "pcr" / "flat_glass" / "index.html").read_text(encoding="utf-8")
    assert "平板玻璃" in page
    assert "t (heavy_oil), Nm3 (natural_gas), GJ (steam)" in page  # each fuel's unit
    assert not (site / "pcr" / "cement").exists()
    assert not (committee / "mkdocs.yml").exists()  # nothing copied into the repository

    with_bundled = zuji("docs", "--with-bundled", cwd=committee)
    assert with_bundled.returncode == 0, with_bundled.stderr
    pages = committee / ".zuji" / "site" / "docs" / "pcr"
    assert (pages / "cement.md").is_file() and (pages / "flat_glass.md").is_file()


def test_serve_lists_the_committees_pcrs(committee: Path, tmp_path: Path) -> None:
    clients = tmp_path / "clients.json"
    secret = add_client(clients, "committee", ())
    service = start(clients, tmp_path, cwd=committee)
    try:
        token = httpx.post(
            service.url + "/auth/token",
            data={"grant_type": "client_credentials"},
            auth=("committee", secret),
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        listed = httpx.get(service.url + "/pcrs", headers=headers, timeout=60)
        assert listed.status_code == 200, listed.text
        assert sorted(p["id"] for p in listed.json()) == ["flat_glass", "quicklime"]
    finally:
        service.stop()


def test_a_dataset_id_the_bundled_library_holds_is_an_error_naming_both(
    committee: Path,
) -> None:
    clash = committee / "standards" / "factors" / "cn_grid.yaml"
    shutil.copy(library.standards_root() / "factors" / "cn_grid.yaml", clash)
    checked = zuji("check", cwd=committee)
    assert checked.returncode != 0
    message = checked.stderr + checked.stdout
    assert "E406" in message and "standards/factors/cn_grid.yaml" in message
    assert message.count("cn_grid.yaml") >= 2


def test_pinned_gwp_sets_without_any_is_an_error(committee: Path) -> None:
    config = committee / "zuji.toml"
    config.write_text(
        config.read_text().replace("bundled_gwp = true", "bundled_gwp = false"), encoding="utf-8"
    )
    checked = zuji("check", cwd=committee)
    assert checked.returncode != 0 and "E406" in checked.stderr + checked.stdout


def test_a_mistaken_zuji_toml_is_a_usage_error(committee: Path) -> None:
    (committee / "zuji.toml").write_text('[library]\npcr = "../elsewhere"\n', encoding="utf-8")
    checked = zuji("check", cwd=committee)
    assert checked.returncode == 2 and "E016" in checked.stderr
    (committee / "zuji.toml").write_text("[library]\ncolour = 1\n", encoding="utf-8")
    checked = zuji("check", cwd=committee)
    assert checked.returncode == 2 and "unknown setting colour" in checked.stderr


def test_zuji_toml_names_the_rule_folder(tmp_path: Path) -> None:
    folder = tmp_path / "renamed"
    init_repository(folder)
    (folder / "pcr").rename(folder / "rules")
    config = folder / "zuji.toml"
    config.write_text(config.read_text().replace('pcr = "pcr"', 'pcr = "rules"'))
    tested = zuji("test", cwd=folder / "standards")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "quicklime/sample_kiln" in tested.stdout


def test_library_option_and_environment(committee: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listed = zuji("--library", str(committee), "list", "--json", cwd=elsewhere)
    assert {row["id"] for row in json.loads(listed.stdout)} == {"flat_glass", "quicklime"}
    missing = zuji("--library", str(tmp_path / "none"), "list", cwd=elsewhere)
    assert missing.returncode == 2 and "no such folder" in missing.stderr
