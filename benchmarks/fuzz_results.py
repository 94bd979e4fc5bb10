"""Hostile result files against replay and verify: every field of a traced result replaced, one
at a time, by a value of each JSON type (and a bad date, and the largest double).

Not in `make test` (it replays tens of thousands of documents); bounded in time:

    python benchmarks/fuzz_results.py --seconds 600

Any exception other than the engine's own ZujiError is a finding, printed with the JSON paths
that raised it; the run prints how many documents it tried. Exit 1 on a finding.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from typing import Any

import zuji
from zuji.core import library
from zuji.core.errors import ZujiError
from zuji.exchange.replay import replay

CASE = library.pcr_root() / "cement" / "cases" / "purchased_clinker.yaml"
REPLACEMENTS: tuple[Any, ...] = (None, "x", -1, True, [], {}, "2022-13-45", 1e308)


def _paths(node: Any, path: list[str | int]) -> Iterator[list[str | int]]:
    if not isinstance(node, (dict, list)):
        return
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        yield [*path, key]
        yield from _paths(value, [*path, key])


def _replaced(document: dict[str, Any], path: list[str | int], value: Any) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(document))
    node: Any = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copy


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=int, default=600)
    args = options.parse_args()
    document = json.loads(zuji.load("cement").evaluate(CASE, trace=True).model_dump_json())
    deadline = time.monotonic() + args.seconds
    tried = 0
    findings: dict[tuple[str, str], list[str]] = {}
    for path in _paths(document, []):
        for value in REPLACEMENTS:
            if time.monotonic() > deadline:
                break
            tried += 1
            try:
                replay(_replaced(document, path, value))
            except ZujiError:
                pass
            except Exception as exc:  # the finding this script looks for
                key = (type(exc).__name__, str(exc)[:100])
                findings.setdefault(key, []).append(str(path))
    print(f"{tried} documents replayed in {args.seconds} s at most; {len(findings)} findings")
    for (kind, message), paths in findings.items():
        print(f"  {kind}: {message} ({len(paths)} documents, e.g. {paths[:3]})")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
