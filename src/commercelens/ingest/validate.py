"""Row validation as generated DuckDB SQL: type every field, give each bad row one reason.

Input: an engine table of records (line_number, raw_record, fields). Output: a temp table
with the typed value of every column (`p_<i>`), the raw text (`v_<i>`), and `reason`,
`field`, `detail` (NULL for accepted rows). Reasons are checked in the order of
contracts.REASONS; the first that applies wins, so every row has exactly one.
"""

from __future__ import annotations

from commercelens.ingest.contracts import Column, Entity, Kind
from commercelens.privacy.pseudonyms import email_pseudonym_sql, hmac_sql

_INT = "[+-]?[0-9]+"
_DECIMAL = r"[+-]?[0-9]+(\.[0-9]+)?"

_PARSE: dict[Kind, str] = {
    "int": f"case when regexp_full_match({{v}}, '{_INT}') then try_cast({{v}} as BIGINT) end",
    "float": "try_cast({v} as DOUBLE)",
    "decimal": f"case when regexp_full_match({{v}}, '{_DECIMAL}') then try_cast({{v}} as DECIMAL(14,2)) end",
    "dollars": (
        f"case when regexp_full_match({{v}}, '\\${_DECIMAL}') "
        "then try_cast(substr({v}, 2) as DECIMAL(14,2)) end"
    ),
    "text": "{v}",
    "enum": "{v}",
    "timestamp": "try_strptime({v}, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S'])",
    "date": "cast(try_strptime({v}, '%Y-%m-%d') as DATE)",
    "month_year": "cast(try_strptime({v}, '%m/%Y') as DATE)",
}
_KIND_WORD = {
    "dollars": "a dollar amount like $-77.00",
    "month_year": "MM/YYYY",
    "timestamp": "YYYY-MM-DD HH:MM:SS",
}


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


def _checks(entity: Entity, columns: tuple[Column, ...]) -> list[tuple[str, str, str, str]]:
    """(condition, reason, field, detail SQL) in the order they are applied."""
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
            detail = f"format('cannot read {{}} as {word}', to_json(v_{i}))"
            checks.append((f"v_{i} is not null and p_{i} is null", "bad_type", c.name, detail))
    for i, c in enumerate(columns, 1):
        if c.kind != "enum":
            continue
        if c.multi:
            cond = f"len(list_filter(p_{i}, lambda x: not list_contains({_values_list(c)}, x))) > 0"
        else:
            cond = f"v_{i} is not null and not list_contains({_values_list(c)}, v_{i})"
        detail = f"format('{{}} is not one of {', '.join(c.values)}', to_json(v_{i}))"
        checks.append((cond, "unknown_value", c.name, detail))
    return checks


def _case(checks: list[tuple[str, str, str, str]], part: int) -> str:
    arms = " ".join(
        f"when {cond} then {(_quote(chk[part]) if part in (1, 2) else chk[3])}"
        for chk in checks
        for cond in [chk[0]]
    )
    return f"case {arms} end"


def checked_sql(entity: Entity, columns: tuple[Column, ...], records: str) -> str:
    """SELECT typing and checking every record of `records` (no duplicate/orphan checks yet)."""
    values = ", ".join(f"nullif(fields[{i}], '') as v_{i}" for i in range(1, len(columns) + 1))
    parsed = ", ".join(f"{_parse_expr(c, f'v_{i}')} as p_{i}" for i, c in enumerate(columns, 1))
    checks = _checks(entity, columns)
    return f"""
with valued as (select line_number, raw_record, fields, {values} from {records}),
parsed as (select *, {parsed} from valued)
select *, {_case(checks, 1)} as reason, {_case(checks, 2)} as field, {_case(checks, 3)} as detail
from parsed
"""


def duplicate_sql(entity: Entity, columns: tuple[Column, ...], checked: str) -> str:
    """Mark every further copy of a key (or, without a key, of an exact line) as duplicate."""
    index = {c.name: i for i, c in enumerate(columns, 1)}
    keys = [f"p_{index[k]}" for k in entity.key] or ["raw_record"]
    what = "key " + ", ".join(entity.key) if entity.key else "an exact duplicate"
    return f"""
select * replace (
    coalesce(reason, case when line_number <> first_line then 'duplicate' end) as reason,
    coalesce(field, case when line_number <> first_line then {_quote(", ".join(entity.key))} end) as field,
    coalesce(detail, case when line_number <> first_line
        then format('{what} first seen on line {{}}', first_line) end) as detail)
from (
    select *, min(line_number) over (partition by reason is null, {", ".join(keys)}) as first_line
    from {checked}
)
"""


def orphan_sql(child_value: str, parent_relation: str, parent_key: str, column: str, checked: str) -> str:
    """Mark accepted rows whose foreign key is absent from the parent relation as orphans."""
    missing = (
        f"reason is null and {child_value} is not null and not exists "
        f'(select 1 from {parent_relation} p where p."{parent_key}" = c.{child_value})'
    )
    return f"""
select * replace (
    case when {missing} then 'orphan' else reason end as reason,
    case when {missing} then {_quote(column)} else field end as field,
    case when {missing} then format('{column} {{}} not found in {parent_relation}', c.{child_value})
        else detail end as detail)
from {checked} c
"""


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


def safe_record_sql(columns: tuple[Column, ...]) -> str:
    """raw_record for quarantine with the same PII treatment as raw.

    When the field count is right, PII positions are pseudonymised, masked or blanked. When
    it is wrong, positions cannot be trusted (a CVV or a name could sit anywhere), so every
    field is pseudonymised: the line number still says where to look in the source file.
    """
    if not any(c.pii for c in columns):
        return "raw_record"
    arms = []
    for i, c in enumerate(columns, 1):
        if c.pii == "pseudonymise":
            arms.append(f"when i = {i} then {_pseudonym_sql(c, 'f')}")
        elif c.pii == "last4":
            arms.append(f"when i = {i} then '****' || right(f, 4)")
        elif c.pii == "drop":
            arms.append(f"when i = {i} then ''")
    positional = f"list_transform(fields, lambda f, i: case {' '.join(arms)} else f end)"
    scrubbed = f"list_transform(coalesce(fields, string_split(raw_record, ',')), lambda f: {hmac_sql('f')})"
    return (
        f"array_to_string(case when len(fields) = {len(columns)} then {positional} else {scrubbed} end, ',')"
    )
