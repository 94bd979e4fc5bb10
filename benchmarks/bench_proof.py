"""What proving results costs, against a hand-written baseline measured in the same run.

- reading an inventory given as a mapping pins it by the sha256 of its RFC 8785 canonical JSON;
  the baseline is the same read pinning bytes the caller already has (`received=`), so the
  ratio is the canonical form's share of reading an inventory;
- signing and checking a signature of a traced result, against the baseline of canonicalising
  it alone (RFC 8785, pure Python), which is most of either;
- replaying and verifying a traced result, against the baseline of evaluating its inventory
  with a trace (what they must do at least once).

Prints figures and ratios and asserts nothing: on a shared machine absolute times are inflated,
the ratios measured in one run are what count. Run: .venv/bin/python benchmarks/bench_proof.py
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import zuji
from zuji.core import library
from zuji.core.canonical import canonical_json
from zuji.exchange.replay import replay_result
from zuji.exchange.result_file import parse_result
from zuji.exchange.signing import check_signature, sign
from zuji.exchange.verify import verify

CASES = library.pcr_root() / "cement" / "cases"
CASE = CASES / "purchased_clinker.yaml"


def interleaved(pairs: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Seconds of each run of each function, run in turn so that a busy moment hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in pairs}
    for _ in range(repeat):
        for name, fn in pairs.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return samples


def show(title: str, samples: dict[str, list[float]], baseline: str) -> None:
    """Median and minimum of each, and their ratios to the baseline's: on a loaded machine the
    minimum is the least disturbed figure."""
    print(title)
    base_median, base_min = statistics.median(samples[baseline]), min(samples[baseline])
    for name, times in samples.items():
        median, least = statistics.median(times), min(times)
        print(
            f"  {name:<48} median {median * 1e3:8.3f} ms (x{median / base_median:5.2f})"
            f"   min {least * 1e3:8.3f} ms (x{least / base_min:5.2f})"
        )


def main() -> None:
    pcr = zuji.load("cement")
    document = yaml.safe_load(CASE.read_text(encoding="utf-8"))["inventory"]
    body = CASE.read_bytes()
    show(
        "reading an inventory given as a mapping (cement, purchased_clinker)",
        interleaved(
            {
                "pinned by received bytes (baseline)": lambda: pcr.inventory(
                    document, base=CASES, received=body
                ),
                "pinned by RFC 8785 canonical JSON": lambda: pcr.inventory(document, base=CASES),
            },
            400,
        ),
        "pinned by received bytes (baseline)",
    )
    result = pcr.evaluate(CASE, trace=True)
    text = result.model_dump_json(indent=2)
    file = parse_result(text, "result.json")
    key = Ed25519PrivateKey.generate()
    signature = sign(file.document, key, "result.json")
    signed = parse_result(
        json.dumps({**file.document, "signature": signature.model_dump()}), "signed.json"
    )
    print(f"traced result: {len(text):,} bytes")
    show(
        "signing a traced result",
        interleaved(
            {
                "RFC 8785 canonical form alone (baseline)": lambda: canonical_json(file.document),
                "sign": lambda: sign(file.document, key, "result.json"),
                "check the signature": lambda: check_signature(
                    signed.document, signature, key.public_key(), "signed.json"
                ),
            },
            50,
        ),
        "RFC 8785 canonical form alone (baseline)",
    )
    show(
        "replaying and verifying a traced result",
        interleaved(
            {
                "evaluate the inventory with a trace (baseline)": lambda: pcr.evaluate(
                    CASE, trace=True
                ),
                "replay from the result file's trace": lambda: replay_result(file),
                "verify: signature, inventory hash, recompute": lambda: verify(
                    signed, key.public_key(), inventory=Path(CASE)
                ),
            },
            30,
        ),
        "evaluate the inventory with a trace (baseline)",
    )


if __name__ == "__main__":
    main()
