"""The membership macro the fact views check their rows' leads with (etl.run._create_membership):
it must say exactly what ``value IN (SELECT key FROM relation)`` says, whichever form it takes
for the keys at hand (dense, with gaps, sparse)."""

from __future__ import annotations

import duckdb
import pytest

from etl.run import _create_membership

CASES = {
    "dense": list(range(5, 21)),
    "with gaps": [1, 2, 3, 7, 8, 11, 12, 13, 14, 15, 16, 20],
    "sparse": [3, 1_000, 1_000_000, 5_000_000_000],
    "one key": [42],
    "none": [],
}


@pytest.mark.parametrize("keys", CASES.values(), ids=CASES.keys())
def test_the_macro_says_what_membership_says(keys):
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE known (lead_id bigint)")
    if keys:
        con.execute("INSERT INTO known SELECT unnest(?::bigint[])", [keys])
    _create_membership(con, "known", "is_known", "lead_id")
    probes = sorted({-1, 0, *keys, *(k + 1 for k in keys), *(k - 1 for k in keys), 5_000})
    said = dict(
        con.execute(
            "SELECT probe, coalesce(is_known(probe), false) FROM unnest(?::bigint[]) AS t(probe)",
            [probes],
        ).fetchall()
    )
    assert said == {probe: probe in set(keys) for probe in probes}
    # A row without a lead is not one of a known lead's rows.
    assert not con.execute("SELECT coalesce(is_known(NULL::bigint), false)").fetchone()[0]


def test_gaps_are_listed_only_where_keys_are_missing():
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE known AS SELECT unnest([1, 2, 5, 6, 9]::bigint[]) AS lead_id")
    _create_membership(con, "known", "is_known", "lead_id")
    gaps = [row[0] for row in con.execute("SELECT lead_id FROM known_gaps ORDER BY 1").fetchall()]
    assert gaps == [3, 4, 7, 8]
