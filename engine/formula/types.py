"""The static types of the formula language and how declared field types map onto them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """The closed set of formula type kinds."""

    NUMBER = "number"
    MONEY = "money"
    TEXT = "text"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    NULL = "null"
    LIST = "list"
    REF = "ref"
    ROW = "row"
    ANY = "any"


_NUMERIC = frozenset({Kind.NUMBER, Kind.MONEY})
_ORDERED = frozenset({Kind.NUMBER, Kind.MONEY, Kind.TEXT, Kind.DATE, Kind.DATETIME})


@dataclass(frozen=True, slots=True)
class FType:
    """An immutable formula type; build one with the constants or `list_of` / `ref` below.

    A list carries its item type; a ref carries the referenced entity ("module.entity") when
    known. The fields of a ref's target and of a table's rows live in the checker's
    `Environment` (`FieldInfo.target` / `FieldInfo.row`), so types stay small and hashable.
    """

    kind: Kind
    item: FType | None = None
    entity: str | None = None

    @staticmethod
    def list_of(item: FType) -> FType:
        """Return the type of a list whose items have type `item`."""
        return FType(Kind.LIST, item=item)

    @staticmethod
    def ref(entity: str | None = None) -> FType:
        """Return the type of a reference to a record of `entity` ("module.entity")."""
        return FType(Kind.REF, entity=entity)

    @property
    def is_numeric(self) -> bool:
        return self.kind in _NUMERIC

    @property
    def is_ordered(self) -> bool:
        """Whether `<`, `min` and `max` apply (numbers, money, text, dates)."""
        return self.kind in _ORDERED

    @property
    def is_loose(self) -> bool:
        """Whether the type is `any` or `null`, which fit wherever a value is expected."""
        return self.kind in (Kind.ANY, Kind.NULL)

    def accepts(self, other: FType) -> bool:
        """Return whether a value of type `other` may be used where `self` is expected.

        `any` and `null` fit everywhere; number and money fit each other (a literal `100`
        is a fine money amount); lists compare item types; refs compare entities when both
        are known.
        """
        if self.kind is Kind.ANY or other.is_loose:
            return True
        if self.is_numeric and other.is_numeric:
            return True
        if self.kind is not other.kind:
            return False
        if self.kind is Kind.LIST:
            assert self.item is not None and other.item is not None
            return self.item.accepts(other.item)
        if self.kind is Kind.REF:
            return self.entity is None or other.entity is None or self.entity == other.entity
        return True

    def __str__(self) -> str:
        if self.kind is Kind.LIST and self.item is not None:
            return f"list of {self.item}"
        if self.kind is Kind.REF and self.entity:
            return f"ref to {self.entity}"
        return self.kind.value


NUMBER = FType(Kind.NUMBER)
MONEY = FType(Kind.MONEY)
TEXT = FType(Kind.TEXT)
BOOL = FType(Kind.BOOL)
DATE = FType(Kind.DATE)
DATETIME = FType(Kind.DATETIME)
NULL = FType(Kind.NULL)
ANY = FType(Kind.ANY)
ROW = FType(Kind.ROW)
REF = FType.ref()
TEXT_LIST = FType.list_of(TEXT)
ROWS = FType.list_of(ROW)

_FIELD_TYPES: dict[str, FType] = {
    "text": TEXT,
    "enum": TEXT,
    "user": TEXT,
    "attachment": TEXT,
    "integer": NUMBER,
    "decimal": NUMBER,
    "percent": NUMBER,
    "money": MONEY,
    "boolean": BOOL,
    "date": DATE,
    "datetime": DATETIME,
    "multi_enum": TEXT_LIST,
    "ref": REF,
    "table": ROWS,
}


def ftype_for(field_type: str) -> FType:
    """Return the formula type of a declared field type (`money` -> MONEY, `table` -> list of row).

    A ref's entity is not known from the type name alone; build `FType.ref("module.entity")`
    when it is.
    """
    try:
        return _FIELD_TYPES[field_type]
    except KeyError:
        raise ValueError(
            f"unknown field type {field_type!r}; expected one of {', '.join(sorted(_FIELD_TYPES))}"
        ) from None


def unify(a: FType, b: FType) -> FType | None:
    """Return the common type of two values that may stand in the same place, or None.

    Used for `if` branches, `coalesce`, list literals and scalar `min`/`max`: null gives way
    to the other type, money wins over number (`if(c, amount, 0)` is money), any absorbs.
    """
    if a.kind is Kind.NULL:
        return b
    if b.kind is Kind.NULL:
        return a
    if a.kind is Kind.ANY or b.kind is Kind.ANY:
        return ANY
    if a.is_numeric and b.is_numeric:
        return MONEY if Kind.MONEY in (a.kind, b.kind) else NUMBER
    if a.kind is Kind.LIST and b.kind is Kind.LIST:
        assert a.item is not None and b.item is not None
        item = unify(a.item, b.item)
        return None if item is None else FType.list_of(item)
    if a.kind is Kind.REF and b.kind is Kind.REF:
        return a if a.entity == b.entity else REF
    return a if a.kind is b.kind else None
