"""Coverage of a rule by its cases: probes on compiled closures record what the cases reach."""

from __future__ import annotations

from pathlib import Path

from review_kit import BASE, CASE, ON_LIBRARY, library
from typer.testing import CliRunner

from zuji.interfaces.cli import app
from zuji.review.coverage import Probe, coverage
from zuji.review.rule_review import current
from zuji.semantics.compile import compile_plan

HOT = (
    CASE.replace("case: plant", "case: hot")
    .replace("route: cold", "route: hot")
    .replace("power: 40 MWh", "power: 40 MWh\n    scrap: 5 t")
)


def untested(tmp_path: Path, cases: dict[str, str]) -> set[tuple[str, str]]:
    version = current(library(tmp_path, cases=cases))
    found = coverage(version.pcr, list(version.cases))
    return {(i.kind, i.name) for i in found.untested}


def test_one_cold_case_leaves_the_hot_route_scrap_and_failures_untested(tmp_path: Path) -> None:
    gaps = untested(tmp_path, {"plant": CASE})
    assert ("line", "process") in gaps  # cold route: the process line is always 0
    assert ("branch", "if route is hot → then") in gaps
    assert ("branch", "if route is hot → else") not in gaps
    assert ("is-test", "route is hot is true") in gaps
    assert ("option", "route = hot") in gaps  # no case chooses the hot route
    assert ("option", "route = cold") not in gaps
    assert ("co-product", "scrap in allocation of making") in gaps
    assert ("co-product", "widget in allocation of making") not in gaps
    # The case evaluated the assertion (it passed): evaluated is exercised, pass or fail.
    assert ("assertion", "warning: Coal cannot be negative") not in gaps
    assert ("line", "burning") not in gaps


def test_a_hot_case_with_scrap_closes_the_gaps(tmp_path: Path) -> None:
    gaps = untested(tmp_path, {"plant": CASE, "hot": HOT})
    assert gaps == set()


def test_each_option_of_a_choice_counts(tmp_path: Path) -> None:
    """A choice of 4 options of which the one case uses 1 counts 1/4, not "2/2" for the
    true and false of its one `is` test."""
    text = BASE.replace("one of hot, cold = hot", "one of hot, cold, warm, electric = hot")
    version = current(library(tmp_path, text, cases={"plant": CASE}))
    summary = coverage(version.pcr, list(version.cases)).summary()
    assert summary["option"] == (1, 4)
    assert summary["is-test"] == (1, 2)
    assert summary["assertion"] == (1, 1)


def test_no_probe_means_the_ordinary_closures(tmp_path: Path) -> None:
    pcr = current(library(tmp_path)).pcr
    plain = compile_plan(pcr.resolved)
    probed = compile_plan(pcr.resolved, probe=Probe())
    assert [lp.fn.__name__ for lp in probed.lines] == ["measured"] * 3
    assert all(lp.fn.__name__ != "measured" for lp in plain.lines)


def test_cli_test_coverage(tmp_path: Path) -> None:
    # zuji test reads Zuji's own datasets, so the widget uses one of them here.
    path = library(tmp_path, ON_LIBRARY, cases={"plant": CASE}, standards=False)
    done = CliRunner().invoke(app, ["test", str(path), "--coverage"])
    assert done.exit_code == 0, done.output
    assert "coverage of widget by 1 case(s): line 2/3" in done.stdout
    assert "untested branch: if route is hot → then [process]" in done.stdout
