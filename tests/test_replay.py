"""Replay: a traced result recomputed from its file alone; tampering with any number is found."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_kit import zuji as zuji_cli

import zuji

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "pcr" / "cement" / "cases"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The purchased_clinker case's result as `zuji run --format json --trace` writes it."""
    done = zuji_cli(
        "run", "cement", "-i", str(CASES / "purchased_clinker.yaml"), "--format", "json", "--trace"
    )
    assert done.returncode == 0, done.stderr
    path = tmp_path_factory.mktemp("replay") / "result.json"
    path.write_text(done.stdout, encoding="utf-8")
    return path


def _edit(path: Path, tmp_path: Path, change: Any) -> Path:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    out = tmp_path / "tampered.json"
    out.write_text(json.dumps(document), encoding="utf-8")
    return out


def test_the_written_result_carries_what_replay_needs(written: Path) -> None:
    document = json.loads(written.read_text(encoding="utf-8"))
    assert document["pcr"]["source_hash"] == zuji.load("cement").rule.source_hash
    assert {d["id"]: d["version"] for d in document["datasets"]}["cn_grid"]
    inputs = {i["name"]: i for i in document["trace"]["inputs"]}
    assert inputs["cement"]["value"] == 1_000_000 and inputs["cement"]["unit"] == "t"
    assert inputs["bought_clinker_footprint"]["supplier"]["id"].startswith("3f6c1b9e")
    factors = {f["reference"]: f for f in document["trace"]["factors"]}
    assert factors["cn_grid.national"]["value"] == 0.5366
    assert factors["cn_grid.national"]["valid_from"] == "2022-01-01"


def test_untouched_result_replays_exactly(written: Path) -> None:
    done = zuji_cli("replay", str(written))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "fields match" in done.stdout
    outcome = zuji.replay(json.loads(written.read_text(encoding="utf-8")))
    assert outcome.matches and outcome.compared > 100


@pytest.mark.parametrize(
    ("what", "change", "listed"),
    [
        ("the total", lambda d: d.update(total=d["total"] + 0.01), "total: file"),
        (
            "one line",
            lambda d: d["lines"][0].update(co2e_kg=d["lines"][0]["co2e_kg"] * 1.001),
            "lines[0].co2e_kg",
        ),
        (
            "a stage",
            lambda d: d["by_stage"].update(cement_grinding=1.0),
            "by_stage.cement_grinding",
        ),
        (
            "an inventory value",
            lambda d: next(i for i in d["trace"]["inputs"] if i["name"] == "gypsum").update(
                value=51000.0
            ),
            "by_stage.raw_materials",
        ),
        (
            "a factor value",
            lambda d: next(
                f for f in d["trace"]["factors"] if f["reference"] == "cn_grid.national"
            ).update(value=0.5),
            "factor electricity.national_grid",
        ),
        (
            "the primary-data share",
            lambda d: d["data_quality"].update(primary_data_share=90.0),
            "data_quality.primary_data_share",
        ),
    ],
)
def test_tampering_with_one_number_is_detected(
    written: Path, tmp_path: Path, what: str, change: Any, listed: str
) -> None:
    outcome = zuji.replay_file(_edit(written, tmp_path, change))
    assert not outcome.matches, what
    assert listed in outcome.report(), outcome.report()


def test_cli_exit_code_lists_the_differing_figures(written: Path, tmp_path: Path) -> None:
    done = zuji_cli(
        "replay", str(_edit(written, tmp_path, lambda d: d.update(total=d["total"] * 1.01)))
    )
    assert done.returncode == 1 and "differs: total: file" in done.stdout
    assert "Traceback" not in done.stderr


def test_another_pcr_version_cannot_replay(written: Path, tmp_path: Path) -> None:
    done = zuji_cli(
        "replay", str(_edit(written, tmp_path, lambda d: d["pcr"].update(source_hash="0" * 64)))
    )
    assert done.returncode == 1 and "cause: the PCR differs" in done.stdout
    assert "--pcr" in done.stdout


def test_dataset_version_must_be_the_pinned_one(written: Path, tmp_path: Path) -> None:
    done = zuji_cli(
        "replay", str(_edit(written, tmp_path, lambda d: d["datasets"][0].update(version="1999.1")))
    )
    assert done.returncode == 1
    assert "cause: dataset cement_process: the result pins version '1999.1'" in done.stdout


def test_result_without_trace_says_how_to_write_one(tmp_path: Path) -> None:
    done = zuji_cli("run", "cement", "-i", str(CASES / "typical_plant.yaml"), "--format", "json")
    path = tmp_path / "plain.json"
    path.write_text(done.stdout, encoding="utf-8")
    replayed = zuji_cli("replay", str(path))
    assert replayed.returncode == 1 and "--trace" in replayed.stdout


def test_not_a_result_file(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{not json", encoding="utf-8")
    assert zuji_cli("replay", str(path)).returncode == 2
    path.write_text('{"total": 1}', encoding="utf-8")
    done = zuji_cli("replay", str(path))
    assert done.returncode == 1 and "not a Zuji result" in done.stdout
    assert zuji_cli("replay", str(tmp_path / "missing.json")).returncode == 2
