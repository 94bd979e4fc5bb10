"""Time and peak memory of the engine's answer to hostile input, each at or past a limit.

    .venv/bin/python benchmarks/bench_hostile.py

Every input below is refused (or, for the largest accepted ones, read) in bounded time and
memory; the figures show how far from a hang or a blow-up each limit keeps the engine. Where a
line names a baseline, the same run also times that hand-written baseline (the least any reader
must do: scan the text once, read the bytes once) and prints Zuji's time as a ratio of it. The
machine is shared, so absolute times vary from run to run; the ratios in one run are what count.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import zuji  # noqa: E402
from zuji.core.errors import ZujiError  # noqa: E402

RULE = (ROOT / "tests" / "fuzz" / "seeds" / "widget.pcr").read_text(encoding="utf-8")


def measure(
    name: str, action: Callable[[], object], baseline: Callable[[], object] | None = None
) -> None:
    """Time without tracing (tracemalloc slows Python several-fold), then peak memory with it;
    with a baseline, its time in the same run and the ratio."""
    started = time.perf_counter()
    outcome = _answer(action)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    _answer(action)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    ratio = ""
    if baseline is not None:
        started = time.perf_counter()
        baseline()
        base = time.perf_counter() - started
        ratio = f"  baseline {base * 1000:8.1f} ms  x{elapsed / base if base else 0:7.1f}"
    print(
        f"{name:62} {outcome:9} {elapsed * 1000:10.1f} ms {peak / 2**20:9.1f} MiB{ratio}",
        flush=True,
    )


def _answer(action: Callable[[], object]) -> str:
    from zuji.lang import load
    from zuji.runtime import pcr

    load._BUILT.clear()  # each run reads the rule afresh, as a new process would
    pcr._PLANS.clear()
    try:
        answer = action()
    except ZujiError as exc:
        return exc.code
    errors = getattr(answer, "errors", None)
    return errors[0].code if errors else "accepted"


def rule_with(old: str, new: str) -> Callable[[], object]:
    text = RULE.replace(old, new)
    return lambda: zuji.load_text(text, "hostile.pcr")


def formula_bomb() -> Callable[[], object]:
    chain = "".join(f"  formula f{i}(x: t) : t = f{i - 1}(x) + f{i - 1}(x)\n" for i in range(1, 41))
    text = RULE.replace(
        "  let heat",
        "  formula f0(x: t) : t = x\n" + chain + "  let bomb : t = f40(coal)\n  let heat",
    )
    return lambda: zuji.load_text(text, "bomb.pcr")


def inventory_file(text: str, suffix: str = ".yaml") -> Callable[[], object]:
    folder = Path(tempfile.mkdtemp())
    path = folder / f"inventory{suffix}"
    path.write_text(text, encoding="utf-8")
    pcr = zuji.load("cement")
    return lambda: pcr.evaluate(path)


def supplier_naming(name: str, root: Path | None = None, setup: str = "") -> Callable[[], object]:
    """An inventory whose supplier document is `name`, in a fresh folder; `setup` makes the
    named file: a link to /dev/zero, a FIFO, or a file past the byte limit."""
    folder = Path(tempfile.mkdtemp())
    case = (ROOT / "pcr" / "cement" / "cases" / "purchased_clinker.yaml").read_text("utf-8")
    text = case.replace("{pact: supplier-clinker.json}", "{pact: " + json.dumps(name) + "}")
    (folder / "inventory.yaml").write_text(text, encoding="utf-8")
    if setup == "zero":
        (folder / name).symlink_to("/dev/zero")
    elif setup == "fifo":
        os.mkfifo(folder / name)
    elif setup == "big":
        (folder / name).write_bytes(b" " * 20_000_000)
    pcr = zuji.load("cement")
    return lambda: pcr.evaluate(folder / "inventory.yaml", documents_root=root)


def read_by_hand(path: Path, most: int = 10_000_000) -> Callable[[], object]:
    """Baseline: open the file and read at most the limit plus one byte, nothing checked."""

    def read() -> bytes:
        with path.open("rb") as stream:
            return stream.read(most + 1)

    return read


def main() -> None:
    from conftest import CEMENT_INVENTORY

    zuji.load("cement")  # standards and the library loaded once, outside the figures
    print(f"{'input':62} {'answer':9} {'time':>13} {'peak memory':>13}")
    measure(
        "rule: 10 000 terms in one sum (nesting limit)",
        rule_with("coal * ncv", "coal" + " + coal" * 10_000),
    )
    measure(
        "rule: 100 000 nested parentheses (200 KB)",
        rule_with("coal * ncv", "(" * 100_000 + "coal" + ")" * 100_000 + " * ncv"),
    )
    measure("rule: formulas doubling 40 times (2^40 calls inlined)", formula_bomb())
    measure(
        "rule: 240 KB of comments (below the size limit)",
        rule_with("pcr widget {", "# " + "x" * 240_000 + "\npcr widget {"),
    )
    bidi_comment = "# " + "\u202e" * 80_000 + "\npcr widget {"
    measure(
        "rule: 240 KB comment of bidi overrides (allowed)",
        rule_with("pcr widget {", bidi_comment),
        # The same rule with a comment of as many ASCII characters, read the same way.
        lambda: _answer(rule_with("pcr widget {", "# " + "x" * 80_000 + "\npcr widget {")),
    )
    measure(
        "rule: 240 KB comment, then an override in a text (E005)",
        rule_with('"Widgets made"', '"Widgets \u202emade"\n' + "# " + "x" * 240_000),
    )
    measure("rule: literal 1e400 (E112)", rule_with("heat * 0.1", "heat * 1e400"))
    measure(
        "rule: literal 1e999999999999999999 (E112)",
        rule_with("heat * 0.1", "heat * 1e999999999999999999"),
    )
    measure(
        "rule: literal of 100 000 digits (E112)", rule_with("heat * 0.1", "heat * " + "9" * 100_000)
    )
    measure(
        "rule: cutoff per_flow 150 %, total 500 % (E113)",
        rule_with("per_flow 1 %, total 5 %", "per_flow 150 %, total 500 %"),
    )
    measure(
        "rule: 2 MB of comments (past the size limit)",
        rule_with("pcr widget {", "# " + "x" * 2_000_000 + "\npcr widget {"),
    )
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
        f"{b}: &{b} [{', '.join(['*' + a] * 10)}]"
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    measure(
        "inventory: billion laughs (10^9 values through aliases)",
        inventory_file("\n".join(levels) + "\n"),
    )
    measure("inventory: 100 000 nested lists", inventory_file("[" * 100_000 + "]" * 100_000))
    measure(
        "inventory: 100 000 nested JSON lists",
        inventory_file("[" * 100_000 + "]" * 100_000, ".json"),
    )
    many = copy.deepcopy(CEMENT_INVENTORY)
    many["inputs"]["kiln_fuels"] = [{"fuel": "raw_coal", "amount": "1 t"}] * 10_000

    measure(
        "inventory: 10 000 fuel items (at the list limit), JSON",
        inventory_file(json.dumps(many), ".json"),
    )
    many["inputs"]["kiln_fuels"] = many["inputs"]["kiln_fuels"] * 10
    measure(
        "inventory: 100 000 fuel items (past the list limit), JSON",
        inventory_file(json.dumps(many), ".json"),
    )
    unknown = "pcr: cement\ninputs:\n" + "".join(f"  k{i}: {i} t\n" for i in range(100_000))
    measure("inventory: 100 000 unknown inputs, YAML", inventory_file(unknown))
    measure(
        "inventory: 3 000 nested JSON objects (E012, placed)",
        inventory_file('{"a": ' * 3000 + "1" + "}" * 3000, ".json"),
    )
    items = ",\n".join(f'"k{i}": {i}' for i in range(200_000))
    duplicated = "{" + items + ',\n"k0": 1}'
    measure(
        "inventory: 4 MB JSON, duplicate key at the end (E011, placed)",
        inventory_file(duplicated, ".json"),
        lambda: json.loads(duplicated),  # the parse alone, by hand, duplicates unchecked
    )
    measure("inventory: YAML merge key (E011)", inventory_file("a: &a {x: 1}\nb:\n  <<: *a\n"))
    measure("inventory: NUL in YAML (E011, placed)", inventory_file("pcr: cement\nx: a\x00b\n"))
    measure(
        "inventory: 5 000-digit whole number (E011, placed)",
        inventory_file("pcr: cement\nx: " + "9" * 5000 + "\n"),
    )
    measure("supplier: ../../etc/passwd.json (E015)", supplier_naming("../../etc/passwd.json"))
    measure("supplier: link to /dev/zero (E015)", supplier_naming("zero.json", setup="zero"))
    measure(
        "supplier: link to /dev/zero, root / (E015, not regular)",
        supplier_naming("zero.json", Path("/"), setup="zero"),
    )
    measure("supplier: a FIFO nobody writes to (E015)", supplier_naming("f.json", setup="fifo"))
    big = supplier_naming("big.json", setup="big")
    measure(
        "supplier: 20 MB file, limit 10 MB (E086)",
        big,
        read_by_hand(next(Path(tempfile.gettempdir()).glob("tmp*/big.json"))),
    )


if __name__ == "__main__":
    main()
