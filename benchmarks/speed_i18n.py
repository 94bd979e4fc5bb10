"""What speaking Chinese costs, against English and a hand-written baseline in the same run.

- The CPU time (user + system of the child, resource.getrusage) of `zuji --help` in English
  and in Chinese (`--lang zh`: the compiled catalogue is read, help texts looked up), beside a
  bare interpreter start (`python -c pass`). Target: Chinese at most 1.2 times English.
- Rendering every finding the golden diagnostics show (`Diagnostic.render()`, message, hint,
  source line and caret) in Chinese, each matched against its code's templates, against the same
  in English and against a hand-written baseline: one `str.format` of a known Chinese template per
  finding. Target: a Chinese render at most 1 ms a finding.

One untimed run of each comes first, so the cache folder holds the compiled catalogue as on any
machine after its first start. Timings alternate and keep the best of several rounds; on a
shared machine absolute times are inflated, the ratios are what count. Prints its table; asserts
nothing.

    python benchmarks/speed_i18n.py
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from zuji.core import i18n  # noqa: E402
from zuji.core.errors import Diagnostic, Span  # noqa: E402

ROUNDS = 7


def _cpu_of(command: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=False, capture_output=True, env=os.environ.copy())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _best(commands: dict[str, list[str]]) -> dict[str, float]:
    for command in commands.values():
        _cpu_of(command)  # untimed: fills the cache folder
    best = dict.fromkeys(commands, float("inf"))
    for _ in range(ROUNDS):
        for name, command in commands.items():
            best[name] = min(best[name], _cpu_of(command))
    return best


def _golden_findings() -> list[Diagnostic]:
    found = []
    for path in sorted((ROOT / "tests" / "diagnostics").glob("*.expected")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in re.finditer(r"(?:error|warning)\[([EW]\d{3})\]: (.*)", text):
            found.append(Diagnostic(match.group(1), match.group(2), Span("a.pcr", 3, 5, 3, 9)))
    return found


def _render_seconds(findings: list[Diagnostic], lang: str) -> float:
    with i18n.use_language(lang):
        [d.render() for d in findings]  # untimed: the catalogue loaded, patterns compiled
        best = float("inf")
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for d in findings:
                d.render()
            best = min(best, time.perf_counter() - started)
    return best


def _baseline_seconds(count: int) -> float:
    """The least a translation can cost: one format of a known template per finding."""
    template = "未知的名称 '{name}'"
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for index in range(count):
            f"a.pcr:3:5: error[E210]: {template.format(name=index)}"
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    zuji = [sys.executable, "-m", "zuji"]
    cpu = _best(
        {
            "python -c pass": [sys.executable, "-c", "pass"],
            "zuji --help": [*zuji, "--help"],
            "zuji --lang zh --help": [*zuji, "--lang", "zh", "--help"],
        }
    )
    for name, seconds in cpu.items():
        print(f"{name:28} {seconds * 1000:8.1f} ms CPU")
    print(
        f"{'Chinese / English --help':28} {cpu['zuji --lang zh --help'] / cpu['zuji --help']:8.2f}"
    )
    findings = _golden_findings()
    english = _render_seconds(findings, "en")
    chinese = _render_seconds(findings, "zh")
    baseline = _baseline_seconds(len(findings))
    count = len(findings)
    print(f"\nrendering {count} golden findings")
    print(f"{'hand-written format':28} {baseline / count * 1e6:8.2f} µs a finding")
    print(f"{'English render':28} {english / count * 1e6:8.2f} µs a finding")
    print(f"{'Chinese render':28} {chinese / count * 1e6:8.2f} µs a finding")
    print(f"{'Chinese / English render':28} {chinese / english:8.2f}")
    print(f"{'Chinese / hand-written':28} {chinese / baseline:8.2f}")


if __name__ == "__main__":
    main()
