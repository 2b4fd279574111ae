"""Row validation as generated DuckDB SQL: type every field, give each bad row one reason.

`checked_sql` turns records (line_number, raw_record, fields) into one row per record with the
values raw stores (after PII treatment), the subject's id, and `reason`, `field`, `detail`
(NULL for accepted rows). The row-local checks run there; the checks that compare rows with
other rows or tables (erased subject, orphan, duplicate) are UPDATEs on that table, because
they touch few rows and need only a couple of its columns. Reasons follow contracts.REASONS;
the first that applies wins (an erased subject overrides all), so every row has exactly one.
"""

from __future__ import annotations

from dataclasses import dataclass

from commercelens.ingest.contracts import Column, Entity, Kind
from commercelens.privacy.pseudonyms import email_pseudonym_sql, hmac_sql

_INT = "[+-]?[0-9]+"
_DECIMAL = r"[+-]?[0-9]+(\.[0-9]{1,2})?"  # money: at most cents, never silently rounded
_FLOAT = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
_DEC = _DECIMAL.replace("{", "{{").replace("}", "}}")  # the templates below go through str.format

_PARSE: dict[Kind, str] = {
    "int": f"case when regexp_full_match({{v}}, '{_INT}') then try_cast({{v}} as BIGINT) end",
    "float": f"case when regexp_full_match({{v}}, '{_FLOAT}') then try_cast({{v}} as DOUBLE) end",
    "decimal": f"case when regexp_full_match({{v}}, '{_DEC}') then try_cast({{v}} as DECIMAL(14,2)) end",
    "dollars": (
        f"case when regexp_full_match({{v}}, '\\${_DEC}') "
        "then try_cast(substr({v}, 2) as DECIMAL(14,2)) end"
    ),
    "text": "{v}",
    "enum": "{v}",
    "timestamp": "try_strptime({v}, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S'])",
    "date": "cast(try_strptime({v}, '%Y-%m-%d') as DATE)",
    "month_year": "cast(try_strptime({v}, '%m/%Y') as DATE)",
}
_KIND_WORD = {
    "decimal": "a decimal with at most 2 places",
    "dollars": "a dollar amount like $-77.00",
    "month_year": "MM/YYYY",
    "timestamp": "YYYY-MM-DD HH:MM:SS",
}


def split_fields_sql(line: str) -> str:
    """SQL splitting a CSV line into its fields (RFC 4180 quoting), NULL when quotes are broken.

    Lines without a quote take the fast string_split path; quoted lines use a regex whose
    matches must cover every character of the line.
    """
    parts = f"""regexp_extract_all({line} || ',', '("(?:[^"]|"")*"|[^,"]*),', 1)"""
    unquote = """lambda f: case when starts_with(f, '"') then replace(f[2:-2], '""', '"') else f end"""
    return f"""case
        when not contains({line}, '"') then string_split({line}, ',')
        when len(array_to_string({parts}, ',')) = len({line}) then list_transform({parts}, {unquote})
    end"""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _values_list(column: Column) -> str:
    return "[" + ", ".join(_quote(v) for v in column.values) + "]"


def _parse_expr(column: Column, v: str) -> str:
    if column.pii:  # PII is kept as text; it is transformed, never typed
        return v
    if column.kind == "enum" and column.multi:
        return f"list_filter(string_split({v}, ','), lambda x: x <> '')"
    return _PARSE[column.kind].format(v=v)


def _is_valid_expr(column: Column, v: str) -> str:
    """SQL true when the text `v` is a valid value of `column` (used to decide what to keep)."""
    if column.kind == "enum":
        if column.multi:
            outside = f"lambda x: not list_contains({_values_list(column)}, x)"
            return f"len(list_filter({_parse_expr(column, v)}, {outside})) = 0"
        return f"list_contains({_values_list(column)}, {v})"
    if column.kind == "text":
        return "false"
    return f"({_parse_expr(column, v)}) is not null"


def _echo(entity: Entity, i: int) -> str:
    # Never repeat a value in messages of an entity holding PII: a shifted field may be a name.
    return "'a value'" if entity.has_pii else f"to_json(v_{i})"


def _checks(entity: Entity, columns: tuple[Column, ...]) -> list[tuple[str, str, str, str]]:
    """(condition, reason, field, detail SQL) of the row-local checks, in order."""
    n = len(columns)
    checks = [
        ("fields is null", "unparseable", "", "'unbalanced or stray double quote'"),
        (f"len(fields) <> {n}", "unparseable", "", f"format('expected {n} fields, found {{}}', len(fields))"),
    ]
    for i, c in enumerate(columns, 1):
        if c.name in entity.key:
            checks.append((f"v_{i} is null", "missing_key", c.name, f"'key {c.name} is empty'"))
    for i, c in enumerate(columns, 1):
        if c.required and c.name not in entity.key:
            checks.append((f"v_{i} is null", "bad_type", c.name, f"'required value {c.name} is empty'"))
        if c.kind not in ("text", "enum") and not c.pii:
            word = _KIND_WORD.get(c.kind, c.kind)
            detail = f"format('cannot read {{}} as {word}', {_echo(entity, i)})"
            checks.append((f"v_{i} is not null and p_{i} is null", "bad_type", c.name, detail))
    for i, c in enumerate(columns, 1):
        if c.kind != "enum":
            continue
        valid = _is_valid_expr(c, f"v_{i}")
        detail = f"format('{{}} is not one of {', '.join(c.values)}', {_echo(entity, i)})"
        checks.append((f"v_{i} is not null and not ({valid})", "unknown_value", c.name, detail))
    return checks


def _case(checks: list[tuple[str, str, str, str]], part: int) -> str:
    arms = " ".join(
        f"when {chk[0]} then {(_quote(chk[part]) if part in (1, 2) else chk[3])}" for chk in checks
    )
    return f"case {arms} end"


def checked_sql(entity: Entity, columns: tuple[Column, ...], records: str) -> str:
    """SELECT: every record's raw output columns, subject_key, reason, field, detail.

    The line itself is not carried (the records relation still has it, by line number) except
    as `dedup_key` for entities without a key, whose duplicates are exact lines.
    """
    values = ", ".join(f"nullif(fields[{i}], '') as v_{i}" for i in range(1, len(columns) + 1))
    parsed = ", ".join(f"{_parse_expr(c, f'v_{i}')} as p_{i}" for i, c in enumerate(columns, 1))
    checks = _checks(entity, columns)
    outputs = [f'{raw_value_sql(c, i)} as "{c.raw_name}"' for i, c in enumerate(columns, 1) if c.raw_name]
    names = [c.name for c in columns]
    subject = f"v_{names.index(entity.subject) + 1}" if entity.subject in names else "null"
    return f"""
with valued as (select line_number, raw_record, fields, {values} from {records}),
parsed as (select *, {parsed} from valued)
select line_number, {"" if entity.key else "raw_record as dedup_key, "}{", ".join(outputs)},
    cast({subject} as VARCHAR) as subject_key,
    {_case(checks, 1)} as reason, {_case(checks, 2)} as field, {_case(checks, 3)} as detail
from parsed
"""


@dataclass(frozen=True)
class ParentCheck:
    """A foreign-key check: raw column `column` must exist in `relation`.`key` (engine side)."""

    column: str
    relation: str
    key: str
    table: str  # the warehouse table named in the message


def erased_update_sql(checked: str, entity: Entity, relation: str) -> str:
    """Rows of an erased subject are withheld (reason `erased`), whatever else is wrong with them.

    Hashes are computed per distinct subject (thousands), not per row (millions).
    """
    subject_hash = hmac_sql(f"{_quote(entity.source + ':')} || k")
    return f"""
update {checked} set reason = 'erased', field = {_quote(entity.subject or "")},
    detail = 'data subject erased on request; record withheld'
where subject_key in (
    select k from (select distinct subject_key as k from {checked} where subject_key is not null)
    where {subject_hash} in (select subject_hash from {relation} where domain = {_quote(entity.source)})
)
"""


def orphan_update_sql(checked: str, parent: ParentCheck) -> str:
    """Accepted rows whose foreign key is absent from the parent become orphans."""
    col = f'"{parent.column}"'
    return f"""
update {checked} set reason = 'orphan', field = {_quote(parent.column)},
    detail = format('{parent.column} {{}} not found in {parent.table}', {col})
where reason is null and {col} is not null
    and {col} not in (select "{parent.key}" from {parent.relation} where "{parent.key}" is not null)
"""


def duplicate_update_sql(checked: str, entity: Entity) -> str:
    """Every further copy of a key (or, without a key, of an exact line) is a duplicate.

    Only rows still accepted take part, so a valid copy after a rejected one is kept.
    """
    keys = [f'"{_raw_name(entity, k)}"' for k in entity.key] or ["dedup_key"]
    what = "key " + ", ".join(entity.key) if entity.key else "an exact duplicate"
    key_list = ", ".join(keys)
    join = " and ".join(f"{checked}.{k} = repeated.{k}" for k in keys)
    return f"""
update {checked} set reason = 'duplicate', field = {_quote(", ".join(entity.key))},
    detail = format('{what} first seen on line {{}}', repeated.first_line)
from (
    select {key_list}, min(line_number) as first_line from {checked}
    where reason is null group by {key_list} having count(*) > 1
) repeated
where {checked}.reason is null and {join} and {checked}.line_number <> repeated.first_line
"""


def _raw_name(entity: Entity, header: str) -> str:
    name = entity.column(header).raw_name
    assert name is not None, f"{header} is a key or foreign key and cannot be dropped"
    return name


def _pseudonym_sql(column: Column, expr: str) -> str:
    # E-mails are normalised first so `privacy erase --email` finds them whatever the case.
    return email_pseudonym_sql(expr) if column.name == "email" else hmac_sql(f"trim({expr})")


def raw_value_sql(column: Column, i: int) -> str:
    """The value stored in raw for column i (after PII treatment)."""
    if column.pii == "pseudonymise":
        return _pseudonym_sql(column, f"v_{i}")
    if column.pii == "last4":
        return f"right(regexp_replace(v_{i}, '[^0-9]', '', 'g'), 4)"
    if column.kind == "enum" and column.multi:
        return f"nullif(array_to_string(p_{i}, ','), '')"
    return f"p_{i}"


def quarantine_record_sql(entity: Entity, columns: tuple[Column, ...]) -> str:
    """raw_record for quarantine, with at least the PII treatment raw gets.

    Entities without PII keep the line as read. For entities with PII, when the field count is
    right, PII positions are pseudonymised, masked or blanked, keys and valid typed values are
    kept, and anything else (a shifted name could sit anywhere) is pseudonymised. When the
    field count is wrong, every field is pseudonymised (normalised like e-mails, so
    `privacy erase --email` still finds the record).
    """
    if not entity.has_pii:
        return "raw_record"
    arms = []
    for i, c in enumerate(columns, 1):
        if c.pii == "pseudonymise":
            arms.append(f"when i = {i} then {_pseudonym_sql(c, 'f')}")
        elif c.pii == "last4":
            arms.append(f"when i = {i} then '****' || right(regexp_replace(f, '[^0-9]', '', 'g'), 4)")
        elif c.pii == "drop":
            arms.append(f"when i = {i} then ''")
        elif c.name in entity.key or c.name == entity.subject:
            arms.append(f"when i = {i} then f")
        else:
            arms.append(f"when i = {i} and (f = '' or {_is_valid_expr(c, 'f')}) then f")
    fields = split_fields_sql("raw_record")
    positional = f"list_transform(fields, lambda f, i: case {' '.join(arms)} else {hmac_sql('f')} end)"
    every = "coalesce(fields, string_split(raw_record, ','))"
    hashed = f"list_transform({every}, lambda f: {email_pseudonym_sql('f')})"
    return f"""(select array_to_string(
        case when len(fields) = {len(columns)} then {positional} else {hashed} end, ',')
        from (select {fields} as fields))"""
