"""Row validation as generated DuckDB SQL: type every field, give each bad row one reason.

Input: an engine relation of records (line_number, raw_record, fields). Output: one row per
record with the values raw stores (after PII treatment), and `reason`, `field`, `detail`
(NULL for accepted rows) plus a PII-safe `quarantine_record`. Reasons are checked in the
order of contracts.REASONS; the first that applies wins, so every row has exactly one.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class ParentCheck:
    """A foreign-key check: `column` (header name) must exist in `relation`.`key` (engine side)."""

    column: str
    relation: str
    key: str
    table: str  # the warehouse table named in the message


def validation_sql(
    entity: Entity, columns: tuple[Column, ...], records: str, parents: list[ParentCheck]
) -> str:
    """One SELECT giving every record its raw output columns, its reason (NULL = accepted),
    `field`, `detail`, and `quarantine_record` (the PII-safe raw record of rejected rows).

    A single statement so DuckDB streams the wide intermediate columns (fields, raw text,
    typed values) instead of materialising them after every check.
    """
    index = {c.name: i for i, c in enumerate(columns, 1)}
    values = ", ".join(f"nullif(fields[{i}], '') as v_{i}" for i in range(1, len(columns) + 1))
    parsed = ", ".join(f"{_parse_expr(c, f'v_{i}')} as p_{i}" for i, c in enumerate(columns, 1))
    checks = _checks(entity, columns)
    keys = [f"p_{index[k]}" for k in entity.key] or ["raw_record"]
    ctes = [
        f"valued as (select line_number, raw_record, fields, {values} from {records})",
        f"parsed as (select *, {parsed} from valued)",
        f"step_0 as (select *, {_case(checks, 1)} as reason, {_case(checks, 2)} as field, "
        f"{_case(checks, 3)} as detail from parsed)",
        _duplicates_cte(entity, keys),
    ]
    for n, parent in enumerate(parents, 2):
        ctes.append(_orphan_cte(f"step_{n}", f"step_{n - 1}", f"p_{index[parent.column]}", parent))
    outputs = [f'{raw_value_sql(c, i)} as "{c.raw_name}"' for i, c in enumerate(columns, 1) if c.raw_name]
    record = f"case when reason is not null then {safe_record_sql(columns)} end as quarantine_record"
    return (
        "with "
        + ",\n".join(ctes)
        + f"\nselect line_number, {', '.join(outputs)}, reason, field, detail, {record}"
        + f"\nfrom step_{len(parents) + 1}"
    )


def _duplicates_cte(entity: Entity, keys: list[str]) -> str:
    """Every further copy of a key (or, without a key, of an exact line) is a duplicate.

    Duplicates are rare, so the repeated keys are found by aggregation (a small result) and
    joined back, rather than by a window over every row.
    """
    what = "key " + ", ".join(entity.key) if entity.key else "an exact duplicate"
    key_list = ", ".join(keys)
    join = " and ".join(f"c.{k} = d.{k}" for k in keys)
    is_copy = "d.first_line is not null and c.line_number <> d.first_line"
    return f"""repeated as (
    select {key_list}, min(line_number) as first_line from step_0
    where reason is null group by {key_list} having count(*) > 1
),
step_1 as (
    select c.* replace (
        coalesce(c.reason, case when {is_copy} then 'duplicate' end) as reason,
        coalesce(c.field, case when {is_copy} then {_quote(", ".join(entity.key))} end) as field,
        coalesce(c.detail, case when {is_copy}
            then format('{what} first seen on line {{}}', d.first_line) end) as detail)
    from step_0 c left join repeated d on {join}
)"""


def _orphan_cte(name: str, previous: str, value: str, parent: ParentCheck) -> str:
    """Accepted rows whose foreign key is absent from the parent are orphans."""
    missing = (
        f"reason is null and {value} is not null and not exists "
        f'(select 1 from {parent.relation} p where p."{parent.key}" = c.{value})'
    )
    return f"""{name} as (
    select * replace (
        case when {missing} then 'orphan' else reason end as reason,
        case when {missing} then {_quote(parent.column)} else field end as field,
        case when {missing} then format('{parent.column} {{}} not found in {parent.table}', c.{value})
            else detail end as detail)
    from {previous} c
)"""


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
