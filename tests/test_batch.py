"""pcr.evaluate_many: tables, columns, documents; units in headers, list items in columns; failing
rows reported by number and reason while the others complete; the same figures as one inventory
at a time; the same output from every executor."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zuji
from zuji.core.errors import UsageError, ZujiError
from zuji.runtime.batch import partitions
from zuji.runtime.executors import Dask, InProcess, Processes

PERIOD = {"period_start": "2022-01-01", "period_end": "2022-12-31"}


def _table() -> pd.DataFrame:
    """Three plants: units in headers (kWh, kg) or the PCR's own, two fuels for one plant."""
    return pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            **{k: [v] * 3 for k, v in PERIOD.items()},
            "cement": [1000.0, 2000.0, 1500.0],
            "clinker_produced": [800.0, 1500.0, 1200.0],
            "clinker_used": [800.0, 1500.0, 1100.0],
            "cao [%]": [65.0, 64.0, np.nan],
            "mgo [%]": [1.5, 2.0, np.nan],
            "kiln_fuels.0.fuel": ["raw_coal", "raw_coal", "coke"],
            "kiln_fuels.0.amount [t]": [100.0, 180.0, 120.0],
            "kiln_fuels.1.fuel": [None, "diesel", None],
            "kiln_fuels.1.amount [kg]": [np.nan, 500.0, np.nan],
            "kiln_electricity [kWh]": [40000.0, 82000.0, 61000.0],
            "grinding_electricity": [30.0, 66.0, 50.0],
            "grid_region": ["national", "east", None],
            "limestone": [1000.0, 1900.0, 1500.0],
            "gypsum": [50.0, 100.0, 75.0],
            "slag": [150.0, 300.0, 200.0],
            "deliveries.0.mass": [100.0, 180.0, 120.0],
            "deliveries.0.distance": [100.0, 250.0, 80.0],
            "deliveries.0.mode": ["rail", "road_truck_30t", "waterway"],
        }
    )


def _document(row: pd.Series) -> dict[str, Any]:
    """The same plant written as one inventory document, by hand."""
    inputs: dict[str, Any] = {
        "cement": f"{row['cement']} t",
        "clinker_produced": f"{row['clinker_produced']} t",
        "clinker_used": f"{row['clinker_used']} t",
        "kiln_fuels": [
            {"fuel": row["kiln_fuels.0.fuel"], "amount": f"{row['kiln_fuels.0.amount [t]']} t"}
        ],
        "kiln_electricity": f"{row['kiln_electricity [kWh]']} kWh",
        "grinding_electricity": f"{row['grinding_electricity']} MWh",
        "limestone": f"{row['limestone']} t",
        "gypsum": f"{row['gypsum']} t",
        "slag": f"{row['slag']} t",
        "deliveries": [
            {
                "mass": f"{row['deliveries.0.mass']} t",
                "distance": f"{row['deliveries.0.distance']} km",
                "mode": row["deliveries.0.mode"],
            }
        ],
    }
    if isinstance(row["kiln_fuels.1.fuel"], str):
        amount = f"{row['kiln_fuels.1.amount [kg]']} kg"
        inputs["kiln_fuels"].append({"fuel": row["kiln_fuels.1.fuel"], "amount": amount})
    for key in ("cao [%]", "mgo [%]"):
        if not math.isnan(row[key]):
            inputs[key.split()[0]] = f"{row[key]} %"
    if isinstance(row["grid_region"], str):
        inputs["grid_region"] = row["grid_region"]
    period = {"start": row["period_start"], "end": row["period_end"]}
    return {"pcr": "cement", "reference_period": period, "inputs": inputs}


def test_a_table_gives_each_row_the_figures_of_its_inventory_alone(cement: zuji.PCR) -> None:
    table = _table()
    out = cement.evaluate_many(table)
    assert out["row"].tolist() == [1, 2, 3] and out["id"].tolist() == ["a", "b", "c"]
    assert out["status"].tolist() == ["ok"] * 3
    for i, row in table.iterrows():
        result = cement.evaluate(_document(row))
        assert out["total"][i] == pytest.approx(result.total, rel=1e-12)
        for stage, value in result.by_stage.items():
            assert out[f"stage.{stage}"][i] == pytest.approx(value, rel=1e-12, abs=1e-12)
        for gas, figure in result.by_gas.items():
            assert out[f"gas.{gas}"][i] == pytest.approx(figure.co2e_kg, rel=1e-12, abs=1e-12)
        assert out["fossil"][i] == pytest.approx(result.by_origin["fossil"], rel=1e-12)
        assert out["credits"][i] == result.credits


def test_every_form_of_table_gives_the_same_output(cement: zuji.PCR) -> None:
    table = _table()
    expected = cement.evaluate_many(table)
    columns = {k: table[k].to_numpy() for k in table.columns}
    documents = [_document(row) for _, row in table.iterrows()]
    flat_rows = json.loads(table.to_json(orient="records"))
    for other in (pa.Table.from_pandas(table), columns, flat_rows):
        pd.testing.assert_frame_equal(cement.evaluate_many(other), expected)
    from_documents = cement.evaluate_many(documents)
    assert from_documents["status"].tolist() == ["ok"] * 3
    np.testing.assert_allclose(from_documents["total"], expected["total"], rtol=1e-12)


def test_failing_rows_are_reported_by_number_and_reason_while_the_rest_complete(
    cement: zuji.PCR,
) -> None:
    table = pd.concat([_table()] * 2, ignore_index=True)
    table.loc[1, "cement"] = -5.0  # out of bounds
    table.loc[2, "kiln_fuels.0.fuel"] = "peat"  # not an option
    table.loc[3, "clinker_produced"] = np.nan  # required, left blank
    table.loc[4, "clinker_used"] = 3000.0  # an error assertion of the PCR
    table.loc[5, "period_start"] = "2022-13-01"  # not a date
    out = cement.evaluate_many(table)
    assert out["status"].tolist() == ["ok"] + ["failed"] * 5
    errors = out["error"].tolist()
    assert errors[0] == ""
    assert errors[1].startswith("E501: row 2: cement: -5 t is out of range")
    assert "row 3: kiln_fuels[0].fuel: 'peat' is not one of the options" in errors[2]
    assert "row 4" in errors[3] and "clinker_produced" in errors[3]
    assert errors[4].startswith("E650: row 5: assertion failed: Own clinker used cannot exceed")
    assert "row 6" in errors[5] and "reference_period" in errors[5]
    assert out["total"][1:].isna().all()
    assert out["total"][0] == pytest.approx(cement.evaluate_many(_table())["total"][0])


def test_text_cells_with_their_own_units_are_read_as_amounts(cement: zuji.PCR) -> None:
    table = _table()
    written = table.astype({"clinker_used": object})
    written["clinker_used"] = ["800 t", "1 500 000 kg", "1.1 kt"]
    pd.testing.assert_frame_equal(cement.evaluate_many(written), cement.evaluate_many(table))


def test_defaults_fill_blank_cells(cement: zuji.PCR) -> None:
    """whr_electricity, clay, sand, fly_ash and bought_clinker default to 0, the grid to
    national."""
    table = _table()
    grids = ["national", "east", "national"]
    given = table.assign(whr_electricity=0.0, clay=0.0, grid_region=grids)
    pd.testing.assert_frame_equal(
        cement.evaluate_many(table), cement.evaluate_many(given), check_like=True
    )


def test_rows_of_different_periods_take_the_factor_values_then_in_force(cement: zuji.PCR) -> None:
    table = pd.concat([_table()] * 2, ignore_index=True)
    table.loc[3:, "period_start"], table.loc[3:, "period_end"] = "2023-01-01", "2023-12-31"
    out = cement.evaluate_many(table)
    for i, row in table.iterrows():
        assert out["total"][i] == pytest.approx(cement.evaluate(_document(row)).total, rel=1e-12)
    assert out["total"][0] != pytest.approx(out["total"][3], rel=1e-6)  # the 2023 grid factor


def test_a_column_naming_no_input_is_a_usage_mistake(cement: zuji.PCR) -> None:
    with pytest.raises(UsageError) as info:
        cement.evaluate_many(_table().rename(columns={"gypsum": "gipsum"}))
    assert info.value.code == "E660" and "gipsum" in info.value.diagnostics[0].message
    with pytest.raises(UsageError) as info:
        cement.evaluate_many(_table().rename(columns={"limestone": "limestone [MWh]"}))
    assert info.value.code == "E661" and "limestone [MWh]" in info.value.diagnostics[0].message


def test_partitions_number_their_rows_across_the_whole_table(cement: zuji.PCR) -> None:
    table = pd.concat([_table()] * 3, ignore_index=True)
    table.loc[7, "cement"] = -1.0
    out = cement.evaluate_many(table, chunk_rows=2)
    assert out["row"].tolist() == list(range(1, 10))
    assert out["error"][7].startswith("E501: row 8: cement")
    pd.testing.assert_frame_equal(out.drop(index=7), cement.evaluate_many(table).drop(index=7))


def test_text_columns_as_categories_give_the_output_of_text(cement: zuji.PCR) -> None:
    # Parquet's dictionary-encoded text arrives as pandas categories: read by their own codes.
    table = pd.concat([_table()] * 3, ignore_index=True)
    table.loc[4, "cement"] = -1.0
    table.loc[6, "grid_region"] = "atlantis"
    text = [c for c in table.columns if table[c].dtype.kind not in "fiu"]
    categories = table.astype({c: "category" for c in text})
    out = cement.evaluate_many(categories, chunk_rows=2)
    assert out["status"].tolist().count("failed") == 2
    assert out["error"][6].startswith("E") and "atlantis" in out["error"][6]
    pd.testing.assert_frame_equal(out, cement.evaluate_many(table))


@pytest.mark.slow
def test_local_processes_give_the_in_process_output(cement: zuji.PCR) -> None:
    table = pd.concat([_table()] * 4, ignore_index=True)
    table.loc[5, "cement"] = -1.0
    with Processes(2) as executor:
        out = cement.evaluate_many(table, executor=executor, chunk_rows=3)
    pd.testing.assert_frame_equal(out, cement.evaluate_many(table))


@pytest.mark.slow
def test_a_dask_local_cluster_of_two_processes_gives_the_in_process_output(
    cement: zuji.PCR,
) -> None:
    table = pd.concat([_table()] * 4, ignore_index=True)
    table.loc[5, "cement"] = -1.0
    with Dask("local", workers=2) as executor:
        assert len(executor.client.scheduler_info()["workers"]) == 2
        assert executor.client.scheduler.address.startswith("tcp://127.0.0.1:")
        out = cement.evaluate_many(table, executor=executor, chunk_rows=3)
    pd.testing.assert_frame_equal(out, cement.evaluate_many(table))


def test_threads_give_the_output_of_one_thread(cement: zuji.PCR) -> None:
    """Partitions evaluated on several threads write the same block, in any order they end."""
    table = pd.concat([_table()] * 7, ignore_index=True)
    table.loc[[4, 17], "cement"] = -1.0
    one = cement.evaluate_many(table, executor=InProcess(1), chunk_rows=2)
    assert one["status"].tolist().count("failed") == 2
    for threads in (2, 5):
        many = cement.evaluate_many(table, executor=InProcess(threads), chunk_rows=2)
        pd.testing.assert_frame_equal(many, one)


# Cells a table may hold: numbers out of bounds, not finite or blank, options padded, unknown or
# blank; the batch path must give each row the scalar path's verdict and figures.
_NUMBERS = st.sampled_from([0.0, 1.0, 55.5, 1e6, -1.0, -1e-9, np.nan, np.inf, -np.inf, 1e308])
_OPTIONS = st.sampled_from(["rail", " rail ", "sea", "east", "coke", "", None, "peat", "Rail"])
_NUMERIC = ["cement", "clinker_used", "cao [%]", "mgo [%]", "kiln_fuels.0.amount [t]"]
_NUMERIC += ["grinding_electricity", "limestone", "deliveries.0.distance"]
_CHOICE = ["kiln_fuels.0.fuel", "grid_region", "deliveries.0.mode", "kiln_fuels.1.fuel"]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), categories=st.booleans())
def test_any_cell_gets_the_scalar_verdict_and_figures(
    data: st.DataObject, categories: bool
) -> None:
    cement = zuji.load("cement")
    table = _table().astype({c: object for c in _CHOICE})
    for _ in range(data.draw(st.integers(1, 6))):
        row = data.draw(st.integers(0, 2))
        if data.draw(st.booleans()):
            table.loc[row, data.draw(st.sampled_from(_NUMERIC))] = data.draw(_NUMBERS)
        else:
            table.loc[row, data.draw(st.sampled_from(_CHOICE))] = data.draw(_OPTIONS)
    given_table = table.astype({c: "category" for c in _CHOICE}) if categories else table
    out = cement.evaluate_many(given_table)
    batch = next(partitions(table, cement))
    for i in range(len(table)):
        document = batch.document(i, cement.rule, cement.plan.item_units)
        try:
            total = cement.evaluate(cement.inventory(document, f"row {i + 1}")).total
        except ZujiError:
            assert out["status"][i] == "failed", (i, table.iloc[i].to_dict())
            continue
        assert out["status"][i] == "ok", (i, out["error"][i])
        assert out["total"][i] == pytest.approx(total, rel=1e-12)
