"""Rule texts and files to models: parse and build, within the limits, built once per process.

The model is immutable, so a text already built in this process is not parsed again; the cache is
bounded, because a service checks texts it is sent.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from functools import cache
from pathlib import Path

from zuji.core import cachedir, library, limits
from zuji.core.documents import read_utf8, within_size
from zuji.core.errors import Diagnostic, RuleError, Span, file_label, read_as
from zuji.lang import model as m
from zuji.lang.build_rules import build
from zuji.lang.parse import encoded, normalise, parse

Built = tuple[m.RuleFile, list[Diagnostic]]

# Built rules by (file, text hash, limits in force).
_BUILT: OrderedDict[tuple[str, str, limits.Limits], Built] = OrderedDict()
_BUILT_MOST = 512


def load_text(text: str, file: str = "<text>", kept: bool = False) -> Built:
    """Parse and build rule text. A syntax error, or a text beyond the limits (size, nesting,
    inputs, lines), raises RuleError; other findings are returned.

    The model is immutable, so a text already built in this process is not parsed again. A rule
    file's text (`kept`) is also kept in the cache folder for the next process; a text sent to
    the service is not, so that what others send never fills the disk.
    """
    utf8 = encoded(normalise(text), file)
    with read_as(RuleError):
        within_size(len(utf8), file, "rule_bytes")
    digest = hashlib.sha256(utf8).hexdigest()
    key = (file, digest, limits.current())  # a text refused under lower limits is read again
    if key in _BUILT:
        _BUILT.move_to_end(key)
    else:
        if kept:
            _BUILT[key] = _kept(key) or _keep(key, _build_within_limits(text, file, digest))
        else:
            _BUILT[key] = _build_within_limits(text, file, digest)
        if len(_BUILT) > _BUILT_MOST:
            _BUILT.popitem(last=False)
    rule_file, findings = _BUILT[key]
    return rule_file, list(findings)


# ------------------------------------------------------------- models kept between processes
# Parsing is most of what `zuji check` and a first `zuji.load` spend: a model built once is kept
# in Zuji's cache folder (core/cachedir: private to the user, or not used), keyed by the file, the
# text's hash, the limits and a hash of the code and grammar that build models, so a change to
# any of them builds afresh. Only a rule that built without a RuleError is kept.


@cache
def builder_hash() -> str:
    """A hash of the files a kept model was made by (builder_files)."""
    return cachedir.code_hash(*builder_files())


def builder_files() -> list[Path]:
    """The grammar, the modules that turn text into a model, and the core modules whose classes a
    kept model holds (a Span, a Diagnostic): a finding kept by a process whose Diagnostic had
    fewer fields would come back without the new ones."""
    here = Path(__file__).parent
    core = here.parent / "core"
    return [library.grammar_path(), *sorted(here.glob("*.py")), *sorted(core.glob("*.py"))]


def _kept_key(key: tuple[str, str, limits.Limits]) -> str:
    file, digest, most = key
    # The language settings too: a model's findings are words, which may one day be translated.
    words = "\0".join(os.environ.get(name, "") for name in _LANGUAGE_SETTINGS)
    return f"{file}\0{digest}\0{most!r}\0{builder_hash()}\0{words}"


_LANGUAGE_SETTINGS = ("ZUJI_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


def _kept(key: tuple[str, str, limits.Limits]) -> Built | None:
    found = cachedir.read_kept("models", _kept_key(key), tuple)
    if found is None or not isinstance(found[0], m.RuleFile):
        return None
    rule_file, findings = found
    return rule_file, findings


def _keep(key: tuple[str, str, limits.Limits], built: Built) -> Built:
    cachedir.keep("models", _kept_key(key), built)
    return built


def _build_within_limits(text: str, file: str, digest: str) -> Built:
    try:
        built = build(parse(text, file), file, text, digest)
    except RecursionError:  # the nesting limit keeps real rules far from this
        raise RuleError(
            Diagnostic(
                "E082",
                f"{file}: the rule nests too deeply to read",
                Span(file, 1, 1),
                hint="lower the nesting limit",
            )
        ) from None
    _within_counts(built[0], file)
    return built


def _within_counts(rule: m.RuleFile, file: str) -> None:
    most = limits.current()
    for name, count in (("inputs", len(rule.inputs)), ("lines", len(rule.lines))):
        if count > getattr(most, name):
            code = "E083" if name == "inputs" else "E084"
            raise RuleError(
                Diagnostic(
                    code,
                    f"{file}: {count:,} {name}, above the {most.describe(name)}",
                    Span(file, 1, 1),
                    hint=f"raise it if the rule is genuine: ZUJI_LIMITS={name}=...",
                )
            )


def read_rule_text(path: Path) -> str:
    """The text of a rule file; unreadable (E002) or not UTF-8 (E003) is a RuleError."""
    with read_as(RuleError):
        return read_utf8(path, unreadable="E002", not_utf8="E003", limit="rule_bytes")


def load_file(path: Path) -> Built:
    """Parse and build a rule file, as :func:`load_text` does its text."""
    return load_text(read_rule_text(path), file_label(path), kept=True)
