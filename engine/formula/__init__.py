"""The formula language of Formwork: computed fields, rules, BPMN conditions, filters, reports.

A formula is compiled once, when its module loads (`compile_formula`): parsed and type-checked
against the entity; at its first evaluation it becomes one Python function. It then runs per
record (`Formula.evaluate`) or becomes a SQL expression (`Formula.to_sql`). It never reaches
Python objects: no text of a formula is run as Python, there is no attribute access, and names
starting with `_` are unknown.

Values
    Numbers are exact decimals (`1`, `2.50`; never float). Strings use single or double
    quotes with backslash escapes (`\\n \\t \\' \\" \\\\ \\uXXXX`). `true`, `false`, `null`.
    Lists `[1, 2]`, `['a', 'b']` (mostly for `in`). Dates come from functions:
    `date('2024-05-01')`, `datetime('2024-05-01T08:00:00+08:00')`.

Names
    `qty` a field of the record; `project.name` a field of the record a ref points at (one
    hop only; a missing record gives null); `lines.amount` a column of a child table, as a
    list; `lines` the rows themselves (for `count(lines)`); `params.limit` a module
    parameter; `user.name` the login name and `user.roles` the current user's roles;
    in a lookup's where, `this.work_date` (and `this.crew.labor_company`) a field of the record
    doing the lookup (bound as a parameter in SQL). In a
    formula of a child table's row, names are the row's columns, `task.percent_complete`
    hops from a ref column, and `parent.amount_incl_tax` reads a single field of the record
    that holds the row (a column named `parent` wins over it).

Permissions
    A user's own formulas (list filters `?q=`, a report's `q` and parameters, saved views,
    exports) read only what the user may see, at every hop: a field hidden from their roles or
    shown masked to them, on the record or behind a reference (`project.contract_amount`,
    `contains(labor_company.bank_account, '6')`, a table's column `project.members.user`), is
    an unknown field, with the same error as a misspelt one, and is never suggested; sorts
    likewise. A record reached through a reference counts only if the user may read it under
    its entity's row filters; otherwise it is missing (its fields are null). Declared formulas
    (computed fields, rules, row permissions) read everything; a report or kpi whose declared
    formulas read what the user may not see is refused for them.

Operators, loosest first
    `or`; `and`; `not`; comparisons `== != < <= > >=`, `in`, `not in` (they do not chain);
    `+ -`; `* / %`; unary `-`; calls and parentheses. `and`, `or` and `if()` evaluate only
    what they need: `count > 0 and total / count > 1` never divides by zero.
    `+` also joins texts. `%` keeps the sign of the left side (like SQL's mod()).

Types
    number, money, text, bool, date, datetime, null, list, ref, any. money ± money and
    money ± number give money, money * number and money / number give money, money / money
    gives a number; money * money is an error. date ± number moves by whole days (rounded
    half up), date - date and datetime - datetime give days (datetimes with a fraction).
    Texts compare with texts, numbers with numbers (money included), dates with dates.

Null
    Arithmetic with null gives null. Comparisons with null are false (`qty > 5` and
    `qty != 5` alike when qty is null) except `x == null` and `x != null`; `in` is false
    for a null item and null list items never match. `not null` is true, `if(null, a, b)`
    gives b. sum/avg/min/max/count skip nulls; the sum of nothing is 0, the avg, min or
    max of nothing is null.

Functions
    `if(cond, a, b)`; over lists: `sum count avg min max` (`sum(lines.amount)`);
    `min(a, b, ...)`, `max(a, b, ...)`; `round(x, places=0)` half up (`round(2.345, 2)` is
    2.35, `round(-2.5)` is -3); `abs(x)`; `coalesce(a, b, ...)`; `today()` (date) and
    `now()` (timezone-aware datetime); `year(d) month(d) day(d)`; `days_between(a, b)` is
    b - a in days; `len(text or list)`; `contains(text, part)` / `contains(list, item)`;
    `date(x)`, `datetime(x)`, `text(x)`, `upper(t)`, `lower(t)`; `starts_with(text, prefix)`,
    `ends_with(text, suffix)` (false for null); `count_distinct(list)` the distinct present
    items (`count_distinct(workers.worker) == count(workers.worker)`: nobody twice); in a
    report measure `count_distinct(field)` counts distinct values over records;
    `overlaps(list_a, list_b)` whether they share a present item; `id_check_ok(text)` whether
    an 18-character resident ID's last character is its GB 11643-1999 check character
    (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 -> 1 0 X 9 8 7 6 5 4 3 2; an
    upper-case X; false for any other shape); `period_add('2025-01', -1)` is '2024-12' (a
    'YYYY-MM' period moved by whole months; another text fails); `hours_between(a, b)` is
    b - a in hours (two datetimes); `workdays_between(start, end, calendar)` the working days
    from start to end, both included (negative when end is before start), and
    `add_workdays(day, n, calendar)` the day n working days later (earlier for n < 0; day
    itself for 0) — `calendar` is a ref to `base.work_calendar` (Monday to Friday, less its
    `holiday` days, plus its `workday` make-up days, and those of the calendar it is
    `based_on`), or null or omitted for Monday to Friday; it is read like a ref hop: once
    per evaluation, and from the database once per unit of work. Plugins add more with `register_function`.

Errors
    A syntax or type error raises `FormulaError` with the line and column of the offending
    token and, for unknown names, a "did you mean" suggestion. Evaluation failures (division
    by zero, a bad date text) raise `FormulaRuntimeError` naming the formula.

SQL
    `to_sql` compiles for list filters, report `where`s, row permissions and, with
    `compile_formula(..., aggregate=True)`, report measures (`count()`, `sum(total)`,
    `avg/min/max(field)`, `count_distinct(field)`). What does not read the record (literals, params, user, `today()`)
    is computed in Python and bound as parameters. List fields of the record or one ref away
    (multi_enum, user/attachment with `multiple`; JSON arrays of texts in storage) work with
    `x in tags`, `x not in tags`, `contains(tags, x)`, `len(tags)`, `count(tags)` and
    `tags == null`: a missing or null list is null (`x in tags` is false, `len(tags)` null,
    `count(tags)` 0), and so is, in SQL, a stored value that is not an array (Python
    raises). Child-table values, other uses of lists read from the record and Python-only
    functions on record values are refused with "... cannot be used in a filter". A bool
    formula may be NULL in SQL where Python says false (the same in a WHERE clause);
    `exact_null=True` gives NULL exactly where Python gives None. Division by zero gives
    null in SQL (the row does not match) instead of an error. `round()` is half away from
    zero on PostgreSQL numerics, like Python's ROUND_HALF_UP; SQLite computes with binary
    floats (its round() works on the shortest decimal form, so ordinary amounts agree) where
    PostgreSQL is exact. Text ordering follows the database collation, `upper`/`lower` on
    SQLite change ASCII letters only. `%` uses SQL mod() (SQLite 3.35+ with its math
    functions). Adding days to a datetime read from the record is Python-only; compare with
    `days_between(created, now()) < 7` instead. `starts_with`, `ends_with`, `overlaps` (a list
    field against a list known before the query), `id_check_ok`, `period_add` and
    `hours_between` run in SQL too (a malformed period is null there); `count_distinct` of a
    list, `workdays_between`, `add_workdays` and `parent.x` are Python-only.
"""

from engine.formula.context import Context as Context
from engine.formula.environment import Environment as Environment
from engine.formula.environment import FieldInfo as FieldInfo
from engine.formula.formula import Formula as Formula
from engine.formula.formula import compile_formula as compile_formula
from engine.formula.functions import ArgumentError as ArgumentError
from engine.formula.functions import Function as Function
from engine.formula.functions import register_function as register_function
from engine.formula.functions import unregister_function as unregister_function
from engine.formula.sql.compiled import RecordList as RecordList
from engine.formula.sql.target import ListField as ListField
from engine.formula.sql.target import SqlProbe as SqlProbe
from engine.formula.sql.target import SqlTarget as SqlTarget
from engine.formula.sql.target import bind_value as bind_value
from engine.formula.types import ANY as ANY
from engine.formula.types import BOOL as BOOL
from engine.formula.types import DATE as DATE
from engine.formula.types import DATETIME as DATETIME
from engine.formula.types import MONEY as MONEY
from engine.formula.types import NULL as NULL
from engine.formula.types import NUMBER as NUMBER
from engine.formula.types import REF as REF
from engine.formula.types import ROW as ROW
from engine.formula.types import ROWS as ROWS
from engine.formula.types import TEXT as TEXT
from engine.formula.types import TEXT_LIST as TEXT_LIST
from engine.formula.types import FType as FType
from engine.formula.types import Kind as Kind
from engine.formula.types import ftype_for as ftype_for

__all__ = [
    "ANY",
    "BOOL",
    "DATE",
    "DATETIME",
    "MONEY",
    "NULL",
    "NUMBER",
    "REF",
    "ROW",
    "ROWS",
    "TEXT",
    "TEXT_LIST",
    "ArgumentError",
    "Context",
    "Environment",
    "FType",
    "FieldInfo",
    "Formula",
    "Function",
    "Kind",
    "ListField",
    "RecordList",
    "SqlTarget",
    "bind_value",
    "compile_formula",
    "ftype_for",
    "register_function",
    "unregister_function",
]
