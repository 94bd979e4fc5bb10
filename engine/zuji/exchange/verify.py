"""Verify: prove that a result file is the one Zuji produced from an inventory under a rule.

Three things are checked, each told apart: the signature (with the signer's public key), the
inventory (its sha256 against the one the result pins), and the figures (the result recomputed
from the inventory, or from its trace, with the PCR and datasets of the recorded hashes, and
compared field by field as replay does). A forged result whose figures were recomputed after
changing an input fails the signature, and without one fails on the inventory's hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from zuji.core.canonical import canonical_json, sha256_hex
from zuji.core.documents import read_utf8
from zuji.core.errors import Diagnostic, DocumentError, Span, UsageError, file_label
from zuji.core.i18n import _, localise_text, pgettext
from zuji.exchange.replay import (
    Replay,
    compare_with,
    load_recorded_pcr,
    replay_result,
    with_inventory_label,
)
from zuji.exchange.result_file import ResultFile, at, input_problems
from zuji.exchange.signing import check_signature
from zuji.runtime.inventory import Inventory
from zuji.runtime.inventory_hash import HASHED_CANONICAL
from zuji.runtime.result import Signature


@dataclass
class Check:
    """One thing verify looked at: passed (True), failed (False) or could not check (None)."""

    what: str
    passed: bool | None
    text: str


@dataclass
class Verification:
    file: str
    checks: list[Check] = field(default_factory=list)
    recomputed: Replay | None = None

    @property
    def proven(self) -> bool:
        """Nothing failed, the figures were recomputed, and the signature or the inventory's
        hash ties the result to its source."""
        if any(c.passed is False for c in self.checks):
            return False
        if self.recomputed is None or not self.recomputed.matches:
            return False
        return any(c.passed for c in self.checks if c.what in ("signature", "inventory"))

    def report(self) -> str:
        """What was checked, for people, in the reader's language; the marks ok, FAIL and --
        stay as they are, for scripts that look for them."""
        verdict = _("verified") if self.proven else _("NOT verified")
        lines = [_("verify {file}: {verdict}").format(file=self.file, verdict=verdict)]
        mark = {True: "ok  ", False: "FAIL", None: "--  "}
        lines += [
            f"  {mark[c.passed]} {pgettext('check', c.what)}: {localise_text('verify', c.text)}"
            for c in self.checks
        ]
        if self.recomputed is not None:
            lines += ["  " + line for line in self.recomputed.report().splitlines()]
        if not any(c.passed is not None for c in self.checks):
            lines.append(
                "  "
                + _(
                    "nothing ties the result to its source: give the signer's public key "
                    "(--key) or the inventory (--inventory)"
                )
            )
        return "\n".join(lines)


def verify(
    file: ResultFile,
    key: Ed25519PublicKey | None = None,
    detached: Signature | None = None,
    inventory: Path | None = None,
    pcr_path: Path | None = None,
) -> Verification:
    """Check a result's signature, its inventory's hash and its figures (see the module)."""
    outcome = Verification(file.label)
    outcome.checks.append(_signature(file, key, detached))
    source = inventory or _recorded_inventory(file)
    if source is None:
        outcome.checks.append(
            Check("inventory", None, "not given (--inventory FILE): its hash is not checked")
        )
        outcome.recomputed = replay_result(file, pcr_path)
        return outcome
    recomputed = Replay(file.label, from_inventory=True)
    pcr = load_recorded_pcr(file, pcr_path, recomputed)
    if pcr is None:
        outcome.recomputed = recomputed
        return outcome
    if file.result.trace is not None:
        recomputed.problems += input_problems(file, pcr.rule, pcr.choices)
    if recomputed.problems:
        outcome.recomputed = recomputed
        return outcome
    read = with_inventory_label(pcr.inventory(source), file.result.inventory.file)
    checked = _inventory_hash(file, read, source)
    if inventory is None:
        # The file the result itself names proves nothing about a forged result: it is checked,
        # but only an inventory the verifier gives ties the result to its source.
        checked.what = "inventory named by the result"
        checked.text += "; give --inventory to tie the result to a file you trust"
    outcome.checks.append(checked)
    # An inventory that does not read or evaluate raises its own diagnostics (E5xx, E6xx).
    again = pcr.evaluate(read, trace=file.result.trace is not None)
    compare_with(file, again, recomputed)
    outcome.recomputed = recomputed
    return outcome


def _signature(file: ResultFile, key: Ed25519PublicKey | None, detached: Signature | None) -> Check:
    signature = detached or file.result.signature
    if signature is None:
        return Check("signature", False if key else None, "the result is not signed")
    if key is None:
        return Check(
            "signature",
            None,
            f"signed by key {signature.key_id[:23]}...; not checked: give the signer's public "
            "key with --key",
        )
    problem = check_signature(file.document, signature, key, file.label)
    if problem:
        return Check("signature", False, problem)
    return Check("signature", True, f"{signature.alg} signature by key {signature.key_id[:23]}...")


def _recorded_inventory(file: ResultFile) -> Path | None:
    """The inventory file the result names, when it lies below the working folder. The result
    may be hostile: a path outside it (absolute, with '..', or through a link leading out) or a
    file that is not a regular file is never opened unless given with --inventory."""
    named = file.result.inventory.file
    if not named or Path(named).is_absolute() or ".." in Path(named).parts:
        return None
    here = Path.cwd().resolve()
    path = (here / named).resolve()
    if not path.is_relative_to(here) or not path.is_file():
        return None
    return Path(named)


def _inventory_hash(file: ResultFile, read: Inventory, source: Path) -> Check:
    pinned = file.result.provenance.inventory if file.result.provenance else None
    if pinned is None:
        return Check("inventory", False, "the result pins no inventory hash (no provenance)")
    digest = read.sha256
    if pinned.of == HASHED_CANONICAL:
        digest = sha256_hex(canonical_json(read.raw))
    label = file_label(source)
    if digest != pinned.sha256:
        return Check(
            "inventory",
            False,
            f"{label} is not the inventory of this result: its sha256 is {digest[:16]}..., "
            f"the result pins {pinned.sha256[:16]}...",
        )
    return Check("inventory", True, f"{label} has the sha256 the result pins ({digest[:16]}...)")


def read_detached(path: Path) -> Signature:
    """A detached signature file (the signature block as JSON); mistakes are UsageErrors."""
    label = file_label(path)
    if not path.is_file():
        raise UsageError(Diagnostic("E002", f"signature file {label} not found"))
    try:
        text = read_utf8(path)
        document = json.loads(text)
    except DocumentError as exc:
        raise UsageError(exc.diagnostic) from None
    except ValueError as exc:
        raise UsageError(
            Diagnostic("E732", f"{label} is not a signature (not JSON: {exc})", Span(label, 1, 1))
        ) from None
    try:
        return Signature.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UsageError(
            at(label, text, list(first["loc"]), "E732", f"not a signature: {first['msg']}")
        ) from None


__all__ = ["Check", "Verification", "read_detached", "verify"]
