"""Pseudonyms: the SQL HMAC equals Python's hmac (RFC 2104), so erase finds what ingest wrote."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pytest

from commercelens.privacy.pseudonyms import (
    email_pseudonym_sql,
    hmac_sql,
    pseudonymise,
    pseudonymise_email,
    set_key,
)


@pytest.mark.parametrize("key", [b"k" * 16, b"0123456789abcdef" * 4, b"a-much-longer-key-" * 8])
@pytest.mark.parametrize("value", ["alice@example.com", "Émile Zola", "", "x" * 200])
def test_sql_hmac_equals_python_hmac(key, value):
    con = duckdb.connect()
    set_key(con, key)
    (got,) = con.execute(f"select {hmac_sql('?')}", [value]).fetchall()[0]
    assert got == hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
    assert got == pseudonymise(value, key)


def test_email_pseudonym_ignores_case_and_surrounding_space():
    key = b"k" * 16
    con = duckdb.connect()
    set_key(con, key)
    (got,) = con.execute(f"select {email_pseudonym_sql('?')}", ["  Alice@Example.COM "]).fetchall()[0]
    assert got == pseudonymise_email("alice@example.com", key)


def test_different_keys_give_different_pseudonyms():
    assert pseudonymise("alice@example.com", b"a" * 16) != pseudonymise("alice@example.com", b"b" * 16)


def test_each_connection_uses_the_key_it_was_given():
    first, second = duckdb.connect(), duckdb.connect()
    set_key(first, b"a" * 16)
    set_key(second, b"b" * 16)
    query = f"select {hmac_sql('?')}"
    assert first.execute(query, ["x"]).fetchall() != second.execute(query, ["x"]).fetchall()
