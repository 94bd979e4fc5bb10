"""The cement worked case's full JSON result, with its trace, byte for byte.

The figures, the trace of every value and the order of every key are what an auditor compares
between versions, so a change in any of them must be a decision, not an accident. The golden file
is the output of, at the repository root:

    zuji run cement -i pcr/cement/cases/typical_plant.yaml --format json --trace

After a deliberate change, ZUJI_REGEN_GOLDEN=1 rewrites it; its diff is reviewed with the change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zuji.interfaces.cli import app

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "cement_typical_plant.json"
COMMAND = ["run", "cement", "-i", "pcr/cement/cases/typical_plant.yaml", "--format", "json"]


def test_cement_typical_plant_json_with_trace_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the inventory's path appears in the output as given: relative
    done = CliRunner().invoke(app, [*COMMAND, "--trace"])
    assert done.exit_code == 0, done.output
    if os.environ.get("ZUJI_REGEN_GOLDEN") == "1":
        GOLDEN.write_bytes(done.stdout_bytes)
    expected = GOLDEN.read_bytes()
    # Compared as bytes; on a difference, the first differing line says where to look.
    if done.stdout_bytes != expected:
        pairs = zip(done.stdout.splitlines(), expected.decode("utf-8").splitlines(), strict=False)
        first = next(
            ((n, got, want) for n, (got, want) in enumerate(pairs, 1) if got != want), None
        )
        pytest.fail(f"output differs from {GOLDEN.name}; first differing line: {first}")
