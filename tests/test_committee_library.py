"""A committee's repository is a full library: built from nothing but `zuji init`, with a PCR of
its own (flat glass, tests/fixtures/committee_glass), its own dataset and hand-computed cases, and
every command run against it from inside the repository."""

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
    # The case's hand computation: 213.850 kg CO2e per t glass (the case file shows the sums).
    assert json.loads(ran.stdout)["total"] == pytest.approx(213.850, rel=1e-6)

    sampled = zuji(
        "mc", "flat_glass", "-i", str(inventory), "-n", "50", "--seed", "1", cwd=committee
    )
    assert sampled.returncode == 0 and "213.8500" in sampled.stdout, sampled.stderr

    # Worker processes learn the library from ZUJI_LIBRARY and load flat_glass by its id.
    rows = committee / "rows.jsonl"
    rows.write_text(inventory.read_text() + "\n" + inventory.read_text() + "\n")
    out = committee / "out.csv"
    batch = zuji("batch", "flat_glass", str(rows), "-o", str(out), "--workers", "2", cwd=committee)
    assert batch.returncode == 0, batch.stdout + batch.stderr
    assert out.read_text().count(',"ok",') == 2

    schema = zuji("schema", "flat_glass", cwd=committee)
    assert "soda_ash" in json.loads(schema.stdout)["properties"]["inputs"]["properties"]

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
    assert "平板玻璃" in (site / "pcr" / "flat_glass" / "index.html").read_text(encoding="utf-8")
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
