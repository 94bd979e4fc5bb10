"""Monte Carlo: the sampled footprint of a linear rule matches its analytic distribution within
sampling error bounds derived here; seeded runs repeat bit for bit, on any executor; variance
shares, refused samples, and the command line."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from cli_kit import ROOT, zuji

import zuji as engine
from zuji.core.errors import UsageError
from zuji.runtime.executors import Dask, Processes

# A linear rule: per tonne of widget, coal × 2 t CO2/t and power × 0.5 t CO2/MWh, nothing else.
# Its constants are written in the rule, so no factor brings uncertainty of its own.
LINEAR = """\
pcr widget {
  name en "Widget" zh "小部件"
  version 1.0.0
  status draft
  gwp AR6
  unit 1 t of widget
  boundary cradle_to_gate: making
  cutoff per_flow 1 %, total 5 %

  input widget : t "Widgets made" > 0
  input power : MWh "Electricity used" >= 0
  input coal : t "Coal burned" >= 0

  stage making "Making" {
    electricity : CO2 = power * 0.5 [t CO2/MWh]
    burning : CO2 = coal * 2 [t CO2/t]
  }
  ASSERTION
  changelog {
    1.0.0 2026-01-01 "First edition"
  }
}
"""

N = 200_000


def linear(assertion: str = "") -> engine.PCR:
    return engine.load_text(LINEAR.replace("ASSERTION", assertion), "widget.pcr")


def inventory(coal: Any, power: Any = "40 MWh") -> dict[str, Any]:
    return {"pcr": "widget", "inputs": {"widget": "10 t", "coal": coal, "power": power}}


def normal(mean: float, sd: float, unit: str) -> dict[str, Any]:
    return {"value": mean, "unit": unit, "uncertainty": {"distribution": "normal", "sd": sd}}


def test_a_normal_input_gives_the_analytic_mean_sd_and_percentiles() -> None:
    # total = (coal × 2000 + 40 × 500) kg / 10 t, coal ~ N(100, 5) t: a normal with
    # mean (200000 + 20000) / 10 = 22000 and sd 5 × 2000 / 10 = 1000 kg CO2 per t.
    mu, sigma = 22_000.0, 1_000.0
    found = linear().monte_carlo(inventory(normal(100, 5, "t")), N, seed=11)
    assert found.deterministic == pytest.approx(mu, rel=1e-12)
    # Standard errors for n normal samples: of the mean sigma/sqrt(n); of the sample sd
    # sigma/sqrt(2(n-1)); of the p-quantile sqrt(p(1-p)/n)/phi(z_p) sigma (phi(1.96) = 0.05845).
    # Four standard errors: a seeded run outside them would be a 1-in-15 000 draw.
    se_mean = sigma / math.sqrt(N)
    se_sd = sigma / math.sqrt(2 * (N - 1))
    se_q = math.sqrt(0.025 * 0.975 / N) / 0.05845 * sigma
    assert abs(found.mean - mu) < 4 * se_mean
    assert abs(found.median - mu) < 4 * se_mean * 1.2533  # the median's error is 1.2533 × larger
    assert abs(found.sd - sigma) < 4 * se_sd
    assert abs(found.percentile(2.5) - (mu - 1.959964 * sigma)) < 4 * se_q
    assert abs(found.percentile(97.5) - (mu + 1.959964 * sigma)) < 4 * se_q
    assert found.refused == 0 and len(found.totals) == N


def test_a_lognormal_input_in_another_unit_gives_the_lognormal_mean() -> None:
    # coal 0.1 kt with GSD² 1.21 (sigma of ln = ln 1.1): coal's mean is 100 t × exp(sigma²/2),
    # so the total's mean is (2000 × 100 × exp(ln²1.1 / 2) + 20000) / 10.
    s = math.log(1.1)
    spec = {"value": 0.1, "unit": "kt", "uncertainty": {"distribution": "lognormal", "gsd2": 1.21}}
    found = linear().monte_carlo(inventory(spec), N, seed=5)
    mean = (2000 * 100 * math.exp(s * s / 2) + 20_000) / 10
    sd_coal = 100 * math.sqrt((math.exp(s * s) - 1) * math.exp(s * s))
    sd_total = 2000 * sd_coal / 10
    assert abs(found.mean - mean) < 4 * sd_total / math.sqrt(N)
    # The median is the transformed median of coal; its standard error is 1.2533 × 0.0953 / sqrt(n)
    # = 2.7e-4 of coal, so 1e-3 is about four of them.
    assert found.median == pytest.approx((2000 * 100 + 20_000) / 10, rel=1e-3)


def test_triangular_and_uniform_inputs_give_their_means() -> None:
    # coal triangular(90, 100, 120): mean 310/3; power uniform(30, 50) MWh: mean 40.
    coal = {
        "value": 100,
        "unit": "t",
        "uncertainty": {"distribution": "triangular", "min": 90, "max": 120},
    }
    power = {
        "value": 40,
        "unit": "MWh",
        "uncertainty": {"distribution": "uniform", "min": 30, "max": 50},
    }
    found = linear().monte_carlo(inventory(coal, power), N, seed=2)
    mean = (2000 * 310 / 3 + 500 * 40) / 10
    var_coal = (90**2 + 120**2 + 100**2 - 90 * 120 - 90 * 100 - 120 * 100) / 18
    sd = math.sqrt((200 * 200) * var_coal + (50 * 50) * (20**2 / 12))
    assert abs(found.mean - mean) < 4 * sd / math.sqrt(N)


def test_variance_shares_of_a_linear_rule_are_the_analytic_ones() -> None:
    # Var from coal: (2000/10 × 5)² = 1e6; from power (N(40, 8) MWh): (500/10 × 8)² = 160 000.
    found = linear().monte_carlo(inventory(normal(100, 5, "t"), normal(40, 8, "MWh")), N, seed=3)
    shares = {f.parameter.name: f.contribution for f in found.parameters}
    assert found.r_squared == pytest.approx(1.0, abs=1e-9)
    # SRC² of a linear model differ from the analytic shares only through the samples' chance
    # correlation between the inputs, of order 1/sqrt(n) = 0.0022; 0.01 is four times that.
    assert shares["coal"] == pytest.approx(1e6 / 1.16e6, abs=0.01)
    assert shares["power"] == pytest.approx(0.16e6 / 1.16e6, abs=0.01)
    assert [f.parameter.name for f in found.parameters] == ["coal", "power"]  # largest first


def test_a_seed_repeats_bit_for_bit_and_another_seed_differs() -> None:
    pcr, inv = linear(), inventory(normal(100, 5, "t"))
    first = pcr.monte_carlo(inv, 250_000, seed=7)
    again = pcr.monte_carlo(inv, 250_000, seed=7)
    other = pcr.monte_carlo(inv, 250_000, seed=8)
    assert np.array_equal(first.totals, again.totals) and first.mean == again.mean
    assert not np.array_equal(first.totals, other.totals)


@pytest.mark.slow
def test_processes_give_the_same_samples_as_this_process() -> None:
    pcr, inv = engine.load("cement"), engine.load("cement").folder / "cases" / "typical_plant.yaml"
    here = pcr.monte_carlo(inv, 210_000, seed=21)  # three partitions
    with Processes(2) as executor:
        there = pcr.monte_carlo(inv, 210_000, seed=21, executor=executor)
    assert np.array_equal(here.totals, there.totals)


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_same_samples_as_this_process() -> None:
    pcr = engine.load("cement")
    inv = pcr.folder / "cases" / "typical_plant.yaml"
    here = pcr.monte_carlo(inv, 210_000, seed=22)
    with Dask("local", workers=2) as executor:
        there = pcr.monte_carlo(inv, 210_000, seed=22, executor=executor)
    assert np.array_equal(here.totals, there.totals) and here.r_squared == there.r_squared


def test_without_a_seed_the_seed_drawn_repeats_the_run() -> None:
    pcr, inv = linear(), inventory(normal(100, 5, "t"))
    first = pcr.monte_carlo(inv, 1000)
    assert np.array_equal(first.totals, pcr.monte_carlo(inv, 1000, seed=first.seed).totals)


def test_samples_the_engine_refuses_are_left_out_and_counted() -> None:
    # An error assertion refuses coal above 110 t: P(N(100, 5) > 110) = 1 - Phi(2) = 0.02275;
    # the count is binomial, sd sqrt(n p (1-p)) = 66.7 for n = 200 000.
    pcr = linear('assert coal <= 110 [t] otherwise error "Coal above the permit"')
    found = pcr.monte_carlo(inventory(normal(100, 5, "t")), N, seed=4)
    expected = N * 0.0227501
    assert abs(found.refused - expected) < 4 * math.sqrt(expected * (1 - 0.0227501))
    assert len(found.totals) == N - found.refused
    assert float(found.totals.max()) <= (110 * 2000 + 20_000) / 10


def test_factor_uncertainty_comes_from_the_datasets_of_the_factors_read() -> None:
    # The typical cement plant declares no input uncertainty: its spread comes from the national
    # grid factor (basic 1.05 widened by its pedigree scores), the IPCC coal CH4 and N2O factors
    # and the coal supply (triangular over the published Chinese range). The CSI default
    # calcination factor sits in the branch this plant does not take.
    pcr = engine.load("cement")
    found = pcr.monte_carlo(pcr.folder / "cases" / "typical_plant.yaml", 20_000, seed=1)
    names = {f.parameter.name for f in found.parameters}
    assert names == {
        "electricity.national_grid",
        "combustion.coal_ch4_factor",
        "combustion.coal_n2o_factor",
        "coal_supply",
    }
    assert found.sd > 0 and found.r_squared > 0.9


def test_E681_nothing_uncertain() -> None:
    with pytest.raises(UsageError) as info:
        linear().monte_carlo(inventory("100 t"), 100, seed=1)
    assert info.value.diagnostics[0].code == "E681"


def test_E680_number_of_samples() -> None:
    with pytest.raises(UsageError) as info:
        linear().monte_carlo(inventory(normal(100, 5, "t")), 0)
    assert info.value.diagnostics[0].code == "E680"


def cement_inventory(tmp_path: Path) -> Path:
    case = yaml.safe_load((ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml").read_text())
    inputs = case["inventory"]["inputs"]
    inputs["kiln_electricity"] = {
        "value": "41250 MWh",
        "uncertainty": {"distribution": "normal", "sd": 1000},
    }
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(case["inventory"], allow_unicode=True), encoding="utf-8")
    return path


def test_mc_command_table_json_and_svg(tmp_path: Path) -> None:
    path = cement_inventory(tmp_path)
    table = zuji("mc", "cement", "-i", str(path), "-n", "5000", "--seed", "9")
    assert table.returncode == 0, table.stderr
    assert "Share of the variance (SRC²" in table.stdout and "kiln_electricity" in table.stdout
    assert "█" in table.stdout and "97.5 %" in table.stdout
    svg = tmp_path / "footprint.svg"
    done = zuji(
        "mc",
        "cement",
        "-i",
        str(path),
        "-n",
        "5000",
        "--seed",
        "9",
        "-f",
        "json",
        "--plot",
        str(svg),
    )
    figures = json.loads(done.stdout)
    assert figures["n"] == 5000 and figures["seed"] == "9"
    assert figures["p2_5"] < figures["median"] < figures["p97_5"]
    assert {p["name"] for p in figures["parameters"]} >= {"kiln_electricity"}
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    assert root.tag.endswith("svg") and len(root.findall("{http://www.w3.org/2000/svg}rect")) > 20


def test_mc_command_refuses_a_bad_plot_file_before_sampling(tmp_path: Path) -> None:
    done = zuji("mc", "cement", "-i", str(cement_inventory(tmp_path)), "--plot", "out.gif")
    assert done.returncode == 2 and "E682" in done.stderr


def test_values_read_that_do_not_move_the_footprint_get_no_shares() -> None:
    # The efficient ammonia plant burns no coal: the coal CH4 and N2O factors are read (times a
    # coal heat of 0), so the footprint does not move, and shares of rounding noise are refused.
    pcr = engine.load("ammonia")
    found = pcr.monte_carlo(pcr.folder / "cases" / "efficient_gas.yaml", 5000, seed=1)
    assert found.sd <= 1e-12 * found.deterministic
    assert math.isnan(found.r_squared)
    assert all(math.isnan(f.contribution) for f in found.parameters)


def test_mc_command_png_needs_matplotlib_or_is_written(tmp_path: Path) -> None:
    png = tmp_path / "footprint.png"
    done = zuji(
        "mc", "cement", "-i", str(cement_inventory(tmp_path)), "-n", "2000", "--plot", str(png)
    )
    try:
        import matplotlib  # type: ignore[import-not-found]  # optional, for PNG only  # noqa: F401
    except ImportError:
        assert done.returncode == 2 and "E682" in done.stderr and "matplotlib" in done.stderr
        assert not png.exists()  # refused before sampling, nothing written
    else:
        assert done.returncode == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_samples_outside_an_inputs_range_are_left_out() -> None:
    # The rule bounds power to <= 45 MWh. The reader refuses a distribution reaching past that;
    # one made past its check (from Python) draws above 45 MWh with P(U(30, 50) > 45) = 1/4,
    # and those samples are left out: a binomial count, sd sqrt(n · 1/4 · 3/4).
    text = LINEAR.replace("ASSERTION", "").replace(
        'input power : MWh "Electricity used" >= 0',
        'input power : MWh "Electricity used" >= 0 <= 45',
    )
    pcr = engine.load_text(text, "widget.pcr")
    power = {
        "value": 40,
        "unit": "MWh",
        "uncertainty": {"distribution": "uniform", "min": 30, "max": 45},
    }
    within = pcr.monte_carlo(inventory("100 t", power), N, seed=6)
    assert within.refused == 0
    sampled = pcr.inventory(inventory("100 t", power))
    wider = replace(sampled.uncertainty["power"], high=50.0)
    found = pcr.monte_carlo(replace(sampled, uncertainty={"power": wider}), N, seed=6)
    assert abs(found.refused - N / 4) < 4 * math.sqrt(N * 0.25 * 0.75)
    assert float(found.totals.max()) <= (100 * 2000 + 45 * 500) / 10


def _every_row(pcr: engine.PCR, read: Any, chosen: list[Any], samples: Any) -> Any:
    """The footprints of the samples with every input and list item in every row: the frame
    batches evaluate, against which Monte Carlo's single-row lists are compared."""
    from zuji.runtime.montecarlo import sample_totals
    from zuji.runtime.vector import factors_in_force, one_inventory
    from zuji.semantics.compile.vector import vector_plan

    frame = one_inventory(vector_plan(pcr.plan), read, samples.shape[1])
    return sample_totals(
        pcr, read, chosen, samples, (frame, factors_in_force(pcr.plan, read.period_start))
    )


def _drawn(chosen: list[Any], n: int) -> Any:
    rng = np.random.Generator(np.random.PCG64(7))
    return np.vstack([p.distribution.sample(rng, n) for p in chosen])


@pytest.mark.parametrize("sampled", ["factors", "a list field", "a factor read in a list sum"])
def test_a_list_kept_once_gives_each_samples_footprint_to_the_bit(sampled: str) -> None:
    """Monte Carlo keeps a list no sample reaches as one inventory's items. A list whose field is
    sampled, or whose sum reads a sampled factor, takes its items in every row (ItemsPerRow):
    each way, every sample's footprint is the one the list in every row gives, bit for bit."""
    from zuji.data.uncertainty import Distribution
    from zuji.runtime.montecarlo import Parameter, parameters, sample_totals

    pcr = engine.load("cement")
    document = yaml.safe_load((pcr.folder / "cases" / "typical_plant.yaml").read_text("utf-8"))
    coal = document["inventory"]["inputs"]["kiln_fuels"][0]
    if sampled == "a list field":
        coal["amount"] = {
            "value": coal["amount"],
            "uncertainty": {"distribution": "normal", "sd": 2000},
        }
    read = pcr.inventory(document["inventory"])
    chosen = parameters(pcr, read)
    if sampled == "a factor read in a list sum":  # rail's factor, 0.01 kg CO2e/t km, ±10 %
        spread = Distribution("uniform", 0.01, low=0.009, high=0.011)
        chosen.append(Parameter("transport.train", "factor", "kg CO2e/(t km)", spread))
    samples = _drawn(chosen, 2_000)
    totals, refused = sample_totals(pcr, read, chosen, samples)
    expected, expected_refused = _every_row(pcr, read, chosen, samples)
    assert np.array_equal(refused, expected_refused) and not refused.all()
    assert np.array_equal(totals, expected)
    assert float(np.std(totals)) > 0


def test_a_list_summed_where_only_some_samples_reach_takes_its_items_in_every_row() -> None:
    # The widget's parts are summed only where the power sampled is above 45 MWh, and a part of
    # no mass divides by zero there (to a comparison, so only the refusal marks it, no figure):
    # the list, kept as one inventory's items, is reached in some rows only, takes its items in
    # every row, and only the rows reaching it are refused.
    text = (
        LINEAR.replace("ASSERTION", "")
        .replace(
            "  stage making",
            '  input parts : list "Parts" {\n    mass : t "Mass" >= 0\n  }\n  stage making',
        )
        .replace(
            "burning : CO2 = coal * 2 [t CO2/t]",
            "burning : CO2 = coal * 2 [t CO2/t] + (if power > 45 [MWh] then "
            "sum over parts (if 3 [t] / mass > 1 then mass else 0 [t]) * 3 [t CO2/t] "
            "else 0 [t CO2])",
        )
    )
    pcr = engine.load_text(text, "widget.pcr")
    given = inventory("100 t", normal(40, 10, "MWh"))
    given["inputs"]["parts"] = [{"mass": "2 t"}, {"mass": "0 t"}, {"mass": "5 t"}]
    read = pcr.inventory(given)
    from zuji.runtime.montecarlo import parameters, sample_totals

    chosen = parameters(pcr, read)
    samples = _drawn(chosen, 2_000)
    totals, refused = sample_totals(pcr, read, chosen, samples)
    expected, expected_refused = _every_row(pcr, read, chosen, samples)
    assert np.array_equal(totals[~refused], expected[~expected_refused])
    assert np.array_equal(refused, expected_refused)
    power = samples[0]
    assert np.array_equal(refused, (power > 45) | (power < 0)) and 0 < refused.sum() < 2_000
    # Where the parts are not reached, the footprint is coal and power alone: by hand.
    by_hand = (100 * 2000 + power[~refused] * 500) / 10
    assert np.allclose(totals[~refused], by_hand, rtol=1e-12)
