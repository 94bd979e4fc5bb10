"""Untrusted text made safe to show on a terminal.

Company and product names, descriptions and every other text of an inventory, a supplier's
document or a rule file reach the terminal inside tables, Markdown reports and diagnostics. A
control character there can retitle the window, move the cursor or hide what follows (ESC ] 0;
... BEL), and a bidirectional override can make a text read differently from what it is
(Trojan Source, CVE-2021-42574). Every text printed passes through :func:`printable`.
"""

from __future__ import annotations

import re

# C0 controls except tab and line feed, DEL, C1 controls, the invisible line and paragraph
# separators (which split a line where the reader sees none) and the bidirectional marks,
# embeddings, overrides and isolates.
_HIDDEN_CLASS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
)
HIDDEN = re.compile(f"[{_HIDDEN_CLASS}]")

# What stands in for a hidden character: visible, and one column wide like most characters, so
# a caret under a source line still points where it did.
REPLACEMENT = "\ufffd"


def printable(text: str) -> str:
    """The text with every control and bidirectional-formatting character replaced by U+FFFD,
    so what a terminal shows is what the text holds. Tab and line feed are kept."""
    return HIDDEN.sub(REPLACEMENT, text)


def json_printable(text: str) -> str:
    """JSON text safe on a terminal and unchanged as data: each hidden character written as its
    \\uXXXX escape. In JSON made by json.dumps such characters can stand only inside strings
    (C0 controls are escaped already), where the escape means the same character."""
    return HIDDEN.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def describe(character: str) -> str:
    """A hidden character named so that a reader can find it: U+202E RIGHT-TO-LEFT OVERRIDE."""
    import unicodedata

    name = unicodedata.name(character, "") or _CONTROL_NAMES.get(ord(character), "control")
    return f"U+{ord(character):04X} {name}".rstrip()


_CONTROL_NAMES = {
    0x00: "NUL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
    0x9B: "CONTROL SEQUENCE INTRODUCER",
}


def columns(text: str) -> int:
    """How many terminal columns a text takes: a Chinese character (East Asian wide or full
    width) takes two, so that tables of Chinese names line up."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """The text followed by spaces up to `width` terminal columns."""
    return text + " " * max(width - columns(text), 0)
