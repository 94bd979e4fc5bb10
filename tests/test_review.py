"""Review against a git revision: versions read from git, zuji review --base, zuji check --base.

Each test makes its own git repository in tmp_path, commits the widget library and changes it in
the working tree; the project's own repository is never touched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from review_kit import BASE, DATASET, ON_LIBRARY, changed, commit, library, repository
from typer.testing import CliRunner

import zuji
from zuji.interfaces.cli import app
from zuji.review.rule_review import check_against, load_version, review_since

PCR = Path("pcr/widget/widget.pcr")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = repository(tmp_path / "repo")
    library(root)
    commit(root, "Widget PCR 1.0.0")
    monkeypatch.chdir(root)
    return root


def write(repo: Path, text: str) -> None:
    (repo / PCR).write_text(text, encoding="utf-8")


def codes(found: list[zuji.Diagnostic]) -> list[str]:
    return sorted(d.code for d in found)


BUMPED = changed(
    "    1.0.0 2026-01-01",
    '    1.1.0 2026-06-01 "Coal factor" proposed "WG"\n    1.0.0 2026-01-01',
    changed("version 1.0.0", "version 1.1.0"),
)


def test_version_at_a_revision_is_read_from_git(repo: Path) -> None:
    write(repo, changed("coal * 2.5 [t CO2/t]", "coal * 2.6 [t CO2/t]"))
    old = load_version(f"{PCR}@HEAD")
    assert old.label == "pcr/widget/widget.pcr@HEAD"
    assert "coal * 2.5 [t CO2/t]" in old.pcr.resolved.sources[old.pcr.rule.path]
    assert [p.name for p in old.cases] == ["plant.yaml"]
    assert old.note == ""  # the revision has its own standards/


def test_unknown_revision_is_a_usage_error(repo: Path) -> None:
    with pytest.raises(zuji.UsageError) as info:
        load_version(f"{PCR}@no-such-rev")
    assert info.value.code == "E715"


def test_review_base_lists_the_changed_pcr_with_its_impact(repo: Path) -> None:
    write(repo, changed("coal * 2.5 [t CO2/t]", "coal * 2.6 [t CO2/t]"))
    found = review_since("HEAD")
    (review,) = found.reviews
    assert (review.id, review.reason) == ("widget", "the rule file changed")
    assert review.impact.cases[0].change == pytest.approx(1_000)  # see test_diff.py
    # approved, changed in substance, version still 1.0.0
    assert [f.code for f in review.findings] == ["E710"]
    assert [i.name for i in review.coverage if i.kind == "line"] == ["burning"]


def test_review_reads_the_old_datasets_from_git(repo: Path) -> None:
    dataset = DATASET.replace("value: 0.01", "value: 0.015")
    (repo / "standards" / "factors" / "widget_factors.yaml").write_text(dataset)
    (review,) = review_since("HEAD").reviews
    assert review.reason == "dataset widget_factors changed"
    factor = next(c for c in review.diff.changes if c.name == "heat_factor")
    assert (factor.old_values[0].value, factor.new_values[0].value) == (0.01, 0.015)


def test_review_without_datasets_at_the_revision_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repository(tmp_path / "bare")
    folder = root / "pcr" / "cement"
    folder.mkdir(parents=True)
    source = Path(zuji.__file__).resolve().parent.parent.parent / "pcr"
    (folder / "cement.pcr").write_text((source / "cement" / "cement.pcr").read_text())
    (root / "pcr" / "common").mkdir()
    for module in (source / "common").glob("*.pcr"):
        (root / "pcr" / "common" / module.name).write_text(module.read_text())
    commit(root, "cement")
    monkeypatch.chdir(root)
    text = (folder / "cement.pcr").read_text()
    (folder / "cement.pcr").write_text(text.replace('"Raw meal materials"', '"Raw meal"'))
    old = load_version("pcr/cement/cement.pcr@HEAD")
    assert "holds no standards/ folder" in old.note
    (review,) = review_since("HEAD").reviews
    assert review.diff.substantive == [] and review.diff.notes == [old.note]


def test_cli_review_markdown_and_json(repo: Path) -> None:
    write(repo, changed("coal * 2.5 [t CO2/t]", "coal * 2.6 [t CO2/t]"))
    runner = CliRunner()
    done = runner.invoke(app, ["review", "--base", "HEAD", "--format", "markdown"])
    assert done.exit_code == 1  # E710
    assert "# Rule-change review against `HEAD`" in done.stdout
    assert "`E710`" in done.stdout and "| plant | both |" in done.stdout
    done = runner.invoke(app, ["review", "--base", "HEAD", "--format", "json"])
    data = json.loads(done.stdout)
    assert data["reviews"][0]["impact"]["cases"][0]["change_percent"] == pytest.approx(
        100 * 1_000 / 27_000
    )


def test_cli_diff_of_two_revisions(repo: Path) -> None:
    write(repo, BUMPED.replace("coal * 2.5 [t CO2/t]", "coal * 2.6 [t CO2/t]"))
    second = commit(repo, "Widget 1.1.0")
    args = ["diff", f"{PCR}@HEAD~1", f"{PCR}@{second}"]
    # The plant case's hand-computed 27 000 no longer holds under 2.6 t CO2/t: exit 1.
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 1, done.output
    assert "plant: total: expected 27000, engine gives 28000" in done.stdout
    assert "fail their expected values: plant" in done.stderr
    done = CliRunner().invoke(app, [*args, "--allow-failing-cases"])
    assert done.exit_code == 0, done.output
    assert "line 'burning' changed" in done.stdout
    assert "Version discipline: ok" in done.stdout


def test_cli_check_base_reports_discipline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = repository(tmp_path / "plain")
    library(root, ON_LIBRARY, standards=False)
    commit(root, "Widget PCR 1.0.0")
    monkeypatch.chdir(root)
    write(root, changed("coal * 2.5 [t CO2/t]", "coal * 2.6 [t CO2/t]", ON_LIBRARY))
    done = CliRunner().invoke(app, ["check", "pcr", "--base", "HEAD"])
    assert done.exit_code == 1
    assert "pcr/widget/widget.pcr:4:3: error[E710]" in done.stdout, done.stdout
    assert "    4 |   version 1.0.0" in done.stdout  # the caret under the version line
    bumped = BUMPED.replace("widget_factors.heat", "cn_heat.purchased_heat")
    write(root, bumped.replace("coal * 2.5 [t CO2/t]", "coal * 2.6 [t CO2/t]"))
    done = CliRunner().invoke(app, ["check", "pcr", "--base", "HEAD"])
    assert done.exit_code == 0, done.stdout


def test_cosmetic_rewrite_with_patch_bump_passes(repo: Path) -> None:
    text = changed(
        "version 1.0.0", "version 1.0.1", changed("coal * 2.5 [t CO2/t]", "2.5 [t CO2/t] * coal")
    )
    text = changed(
        "    1.0.0 2026-01-01", '    1.0.1 2026-02-01 "Reordered"\n    1.0.0 2026-01-01', text
    )
    write(repo, text)
    assert check_against(repo / PCR, "HEAD") == []


def test_substantive_change_with_patch_bump_is_an_error(repo: Path) -> None:
    text = changed(
        "version 1.0.0", "version 1.0.1", changed("coal * 2.5 [t CO2/t]", "coal * 2.6 [t CO2/t]")
    )
    text = changed("    1.0.0 2026-01-01", '    1.0.1 2026-02-01 "Fix"\n    1.0.0 2026-01-01', text)
    write(repo, text)
    assert codes(check_against(repo / PCR, "HEAD")) == ["E713"]


def test_a_new_pcr_has_nothing_to_be_disciplined_against(repo: Path) -> None:
    other = repo / "pcr" / "gadget" / "gadget.pcr"
    other.parent.mkdir()
    other.write_text(
        BASE.replace("pcr widget", "pcr gadget")
        .replace("of widget", "of gadget")
        .replace("input widget", "input gadget")
        .replace("product widget", "product gadget")
    )
    assert check_against(other, "HEAD") == []
    reviews = {r.id: r for r in review_since("HEAD").reviews}
    assert reviews["gadget"].status == "added"
