"""`zuji batch PCR FILE -o OUT`: every format in and out, failures in the output with exit 1,
usage mistakes with exit 2, and a summary on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_kit import zuji
from test_batch import _table

import zuji as api


def _written(table: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        table.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        table.to_json(path, orient="records", lines=True)
    elif path.suffix == ".parquet":
        table.to_parquet(path, index=False)
    else:
        table.to_excel(path, index=False)
    return path


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_excel(path)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".xlsx"])
def test_each_format_in_and_out_gives_the_api_figures(
    suffix: str, tmp_path: Path, cement: api.PCR
) -> None:
    source = _written(_table(), tmp_path / f"plants{suffix}")
    target = tmp_path / f"footprints{suffix}"
    ran = zuji("batch", "cement", str(source), "-o", str(target))
    assert ran.returncode == 0, ran.stderr
    assert "3 rows, 0 failed" in ran.stderr and "rows/s" in ran.stderr
    out, expected = _read(target), cement.evaluate_many(_table())
    assert out["row"].tolist() == [1, 2, 3]
    assert out["status"].tolist() == ["ok"] * 3
    pd.testing.assert_series_equal(out["total"], expected["total"], rtol=1e-12)
    pd.testing.assert_series_equal(
        out["stage.clinker_production"], expected["stage.clinker_production"], rtol=1e-12
    )


def test_failed_rows_are_in_the_output_with_their_reason_and_exit_1(tmp_path: Path) -> None:
    table = _table()
    table.loc[1, "cement"] = -5.0
    source = _written(table, tmp_path / "plants.csv")
    target = tmp_path / "out.jsonl"
    ran = zuji("batch", "cement", str(source), "-o", str(target))
    assert ran.returncode == 1
    assert "3 rows, 1 failed" in ran.stderr
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in rows] == ["ok", "failed", "ok"]
    assert rows[1]["error"].startswith("E501: row 2: cement: -5 t is out of range")
    assert rows[1]["total"] is None and rows[0]["total"] > 0


def test_a_csv_is_streamed_in_partitions_numbered_across_the_file(tmp_path: Path) -> None:
    table = pd.concat([_table()] * 5, ignore_index=True)
    table.loc[12, "kiln_fuels.0.fuel"] = "peat"
    source = _written(table, tmp_path / "plants.csv")
    target = tmp_path / "out.parquet"
    ran = zuji("batch", "cement", str(source), "-o", str(target), "--chunk-rows", "4")
    assert ran.returncode == 1
    out = pd.read_parquet(target)
    assert out["row"].tolist() == list(range(1, 16))
    assert out["id"].tolist() == ["a", "b", "c"] * 5
    assert out["error"][12].startswith("E501: row 13: kiln_fuels[0].fuel: 'peat'")


def test_usage_mistakes_exit_2(tmp_path: Path) -> None:
    source = _written(_table(), tmp_path / "plants.csv")
    unknown_format = zuji("batch", "cement", str(source), "-o", str(tmp_path / "out.txt"))
    assert unknown_format.returncode == 2 and "E663" in unknown_format.stderr
    missing = zuji("batch", "cement", str(tmp_path / "none.csv"), "-o", str(tmp_path / "o.csv"))
    assert missing.returncode == 2 and "E002" in missing.stderr
    wrong = _written(_table().rename(columns={"slag": "slack"}), tmp_path / "wrong.csv")
    column = zuji("batch", "cement", str(wrong), "-o", str(tmp_path / "o.csv"))
    assert column.returncode == 2 and "E660" in column.stderr and "slack" in column.stderr
    assert not (tmp_path / "o.csv").exists()
    same = zuji("batch", "cement", str(source), "-o", str(source))
    assert same.returncode == 2 and "E664" in same.stderr


@pytest.mark.slow
def test_local_worker_processes_give_the_same_file(tmp_path: Path) -> None:
    table = pd.concat([_table()] * 4, ignore_index=True)
    source = _written(table, tmp_path / "plants.csv")
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert zuji("batch", "cement", str(source), "-o", str(one)).returncode == 0
    ran = zuji(
        "batch", "cement", str(source), "-o", str(two), "--workers", "2", "--chunk-rows", "3"
    )
    assert ran.returncode == 0, ran.stderr
    assert one.read_text(encoding="utf-8") == two.read_text(encoding="utf-8")


def _failing_rows(tmp_path: Path) -> Path:
    table = _table()
    table.loc[1, "cement"] = -5.0
    table.loc[2, "kiln_fuels.0.fuel"] = "peat"
    return _written(table, tmp_path / "plants.csv")


def test_the_error_column_is_in_the_readers_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--lang, else ZUJI_LANG, else the locale; the codes and names stay as they are."""
    source = _failing_rows(tmp_path)
    chinese = [
        "E501: 第 2 行：cement：-5 t 超出范围：必须 > 0",
        "E501: 第 3 行：kiln_fuels[0].fuel：'peat' 不是可选项之一",
    ]
    english = [
        "E501: row 2: cement: -5 t is out of range: it must be > 0",
        "E501: row 3: kiln_fuels[0].fuel: 'peat' is not one of the options",
    ]
    for name, lang, expected in [
        ("lang.csv", ["--lang", "zh"], chinese),
        ("en.csv", ["--lang", "en"], english),
    ]:
        assert zuji("batch", "cement", str(source), "-o", str(tmp_path / name), *lang).returncode
        assert _read(tmp_path / name)["error"].tolist()[1:] == expected
    # The tests' environment sets ZUJI_LANG=en: a reader's locale alone, then ZUJI_LANG over it.
    for name in ("ZUJI_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    zuji("batch", "cement", str(source), "-o", str(tmp_path / "locale.jsonl"))
    assert _read(tmp_path / "locale.jsonl")["error"].tolist()[1:] == chinese
    monkeypatch.setenv("ZUJI_LANG", "en")
    zuji("batch", "cement", str(source), "-o", str(tmp_path / "zuji_lang.jsonl"))
    assert _read(tmp_path / "zuji_lang.jsonl")["error"].tolist()[1:] == english


@pytest.mark.slow
def test_worker_processes_write_errors_in_the_readers_language(tmp_path: Path) -> None:
    """A worker has neither the command line's --lang nor the reader's environment: the
    language goes with each partition."""
    source, target = _failing_rows(tmp_path), tmp_path / "out.csv"
    ran = zuji(
        "batch", "cement", str(source), "-o", str(target), "--workers", "2", "--chunk-rows", "1",
        "--lang", "zh",
    )  # fmt: skip
    assert ran.returncode == 1 and "3 行，2 行失败" in ran.stderr
    assert _read(target)["error"].tolist()[1:] == [
        "E501: 第 2 行：cement：-5 t 超出范围：必须 > 0",
        "E501: 第 3 行：kiln_fuels[0].fuel：'peat' 不是可选项之一",
    ]


def test_the_commands_process_keeps_freed_array_memory_for_reuse() -> None:
    """Batches and Monte Carlo runs set glibc's thresholds in the command's own process only
    (a program importing Zuji keeps its allocator as it is)."""
    import subprocess
    import sys

    script = (
        "from zuji.core import startup\n"
        "print(startup.keep_freed_memory())\n"
        "startup.command_line = True\n"
        "print(startup.keep_freed_memory())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "True" if sys.platform == "linux" else "False"]
