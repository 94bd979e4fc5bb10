"""Characters a rule file may not hold outside its comments.

A rule is a standards document read by people and executed by the engine: a control character
or a bidirectional override in it makes the text a reviewer sees differ from the text the engine
reads (a description that reads backwards, a NUL that a terminal drops, an escape sequence). Such
characters are refused wherever they stand except in comments, which the engine never reads;
comments are still shown safely, since every diagnostic passes through core.text.printable.
"""

from __future__ import annotations

from zuji.core.errors import Diagnostic, RuleError, Span
from zuji.core.text import HIDDEN, describe


def refuse_hidden_characters(text: str, file: str) -> None:
    """Raise a RuleError (E005) at the first control or bidi character outside a comment.

    `text` is normalised (line ends are plain line feeds): a text never spans lines, so whether
    a character stands in a comment is decided by its own line alone. Each line is scanned once,
    so a long comment full of such characters costs no more than its length."""
    if HIDDEN.search(text) is None:
        return
    for number, line in enumerate(text.split("\n"), start=1):
        found = HIDDEN.search(line, 0, _comment_start(line))
        if found is None:
            continue
        column = found.start()
        raise RuleError(
            Diagnostic(
                "E005",
                f"{describe(found.group())} is not allowed in a rule file outside a comment",
                Span(file, number, column + 1, number, column + 2),
                hint="delete it (it is invisible, or changes how the text around it is shown); "
                "a text may hold tab and line breaks written as \\t and \\n",
                source_line=line,
            )
        )


def _comment_start(line: str) -> int:
    """Where the comment of a line begins: its first '#' outside a quoted text (or the end)."""
    in_text = escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif in_text and char == "\\":
            escaped = True
        elif char == '"':
            in_text = not in_text
        elif char == "#" and not in_text:
            return index
    return len(line)
