"""What a compiled closure reads its names from during one evaluation, and which names it read.

The data-quality figures and the unconfirmed-factor warning must rest on what an inventory's
evaluation actually read, not on everything a formula could read: an untaken `if` branch, an
optional input tested only by `given(...)` or a family member the inventory's choice does not pick
must not count. Every closure of a plan reads through a Scope, which notes each name it is asked
for; one Scope (one set of names) is made per value, line, allocation weight and assertion.

A value (`let`) that cannot be computed for an inventory does not stop the evaluation at once: it
is stored as Deferred, and only a closure that reads it fails, with the reason the value failed.
So a value reading an optional input that was not given is itself not given, and a use of it
under a `given(...)` guard never reads it.
"""

from __future__ import annotations

from typing import Any

from zuji.core.errors import EvaluationError, NotGiven, Span


class Deferred:
    """A value that could not be computed: not given (through an input) or an evaluation error."""

    __slots__ = ("error", "input", "item", "span", "via")

    def __init__(
        self,
        input: str = "",
        span: Span | None = None,
        via: tuple[str, ...] = (),
        error: EvaluationError | None = None,
        item: str = "",  # the list item whose optional field `input` is left out
    ) -> None:
        self.input, self.span, self.via, self.error, self.item = input, span, via, error, item

    @classmethod
    def not_given(cls, exc: NotGiven, value: str) -> Deferred:
        """Value `value` reads what `exc` says the inventory leaves out."""
        return cls(exc.name, exc.span, (value, *exc.via), item=exc.item)

    def reraise(self) -> None:
        if self.error is not None:
            raise self.error
        raise NotGiven(self.input, self.span, self.via, self.item)


class Scope:
    """The evaluation's names (inputs, factors, values), noting each one read."""

    __slots__ = ("read", "values")

    def __init__(self, values: dict[str, Any], read: set[str] | None = None) -> None:
        self.values = values
        self.read: set[str] = set() if read is None else read

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        value = self.values[key]
        if value.__class__ is Deferred:
            value.reraise()
        return value

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return self.values.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.values

    def note(self, key: str) -> None:
        """Record a name read by other means, such as the member of a factor family picked."""
        self.read.add(key)

    def item(self, fields: dict[str, Any]) -> ItemScope:
        """The scope inside `sum over`: the item's fields first, then every other name."""
        return ItemScope(fields, self)


class ItemScope(Scope):
    __slots__ = ("fields", "parent")

    def __init__(self, fields: dict[str, Any], parent: Scope) -> None:
        super().__init__(parent.values, parent.read)
        self.fields, self.parent = fields, parent

    def __getitem__(self, key: str) -> Any:
        fields = self.fields
        if key in fields:
            return fields[key]
        return self.parent[key]

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.fields:
            return self.fields[key]
        return self.parent.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.fields or key in self.parent
