"""W7 of `heng bench`: the five line rules as SQL in DuckDB, on the records Heng's
bench wrote (embedded in the heng binary, run by runtime/src/bench/peers/duckdb.rs).

Usage: python3 duckdb_w7.py FOLDER ROUNDS
FOLDER holds lines.csv (one flat record per fee line, lookups pre-resolved),
item_limits.csv and exclusions.csv (the pack's tables). Loads them into DuckDB
tables (timed apart), then times two queries that flag (line, rule) pairs, each
the best of ROUNDS runs, materialised inside DuckDB (no Python objects per row):
  resolved     on the pre-resolved columns, as every rule-engine peer is given;
  prefix_join  on the raw columns, doing the longest-prefix lookups in SQL.
Writes FOLDER/flags_<query>.csv (line,rule) and prints one JSON object.
One thread, like every other engine of W7.
"""

import json
import os
import sys
import time

import duckdb

RESOLVED_RULES = """
SELECT line, 'gender_limit' AS rule FROM {t}
  WHERE gend IN ('1', '2') AND limit_gender IS NOT NULL AND gend <> limit_gender
UNION ALL
SELECT line, 'age_limit' FROM {t} WHERE age < age_min OR age > age_max
UNION ALL
SELECT line, 'tier_limit' FROM {t} WHERE tier < min_tier
UNION ALL
SELECT line, 'visit_limit' FROM {t}
  WHERE (visit_allowed = 'outpatient' AND visit_class = 'inpatient')
     OR (visit_allowed = 'inpatient' AND visit_class <> 'inpatient')
UNION ALL
SELECT line, 'excluded_item' FROM {t}
  WHERE excluded AND coalesce(chrgitm_lv, '') <> '03'
"""

RESOLVED = RESOLVED_RULES.format(t="lines")

# The same rules, with the lookups done here: the item_limits row of the longest
# code prefix (its empty cells are NULL), and any exclusions prefix.
PREFIX_JOIN = (
    """
WITH best AS (
  SELECT l.line, max_by(i.code, length(i.code)) AS code
  FROM lines l JOIN item_limits i ON starts_with(l.item_code, i.code)
  GROUP BY l.line
),
ex AS (
  SELECT DISTINCT l.line
  FROM lines l JOIN exclusions e ON starts_with(l.item_code, e.code)
),
looked_up AS (
  SELECT l.line, l.gend, l.age, l.tier, l.visit_class, l.chrgitm_lv,
         i.gender AS limit_gender, i.age_min, i.age_max, i.min_tier,
         i.visit AS visit_allowed, ex.line IS NOT NULL AS excluded
  FROM lines l
  LEFT JOIN best b ON b.line = l.line
  LEFT JOIN item_limits i ON i.code = b.code
  LEFT JOIN ex ON ex.line = l.line
)
"""
    + RESOLVED_RULES.format(t="looked_up")
)

LINE_COLUMNS = {
    "line": "INTEGER",
    "item_code": "VARCHAR",
    "gend": "VARCHAR",
    "age": "BIGINT",
    "tier": "BIGINT",
    "visit_class": "VARCHAR",
    "chrgitm_lv": "VARCHAR",
    "limit_gender": "VARCHAR",
    "age_min": "BIGINT",
    "age_max": "BIGINT",
    "min_tier": "BIGINT",
    "visit_allowed": "VARCHAR",
    "excluded": "BOOLEAN",
}


def csv(folder, name, columns=None):
    path = os.path.join(folder, name).replace("'", "''")
    if columns is None:
        return f"read_csv('{path}', header = true, all_varchar = true)"
    cols = ", ".join(f"'{k}': '{v}'" for k, v in columns.items())
    return f"read_csv('{path}', header = true, columns = {{{cols}}})"


def main():
    folder, rounds = sys.argv[1], max(1, int(sys.argv[2]))
    con = duckdb.connect()
    con.execute("SET threads TO 1")
    start = time.perf_counter()
    con.execute(f"CREATE TABLE lines AS SELECT * FROM {csv(folder, 'lines.csv', LINE_COLUMNS)}")
    con.execute(
        "CREATE TABLE item_limits AS SELECT code, nullif(gender, '') AS gender, "
        "TRY_CAST(age_min AS BIGINT) AS age_min, TRY_CAST(age_max AS BIGINT) AS age_max, "
        "TRY_CAST(min_tier AS BIGINT) AS min_tier, nullif(visit, '') AS visit "
        f"FROM {csv(folder, 'item_limits.csv')} WHERE coalesce(code, '') <> ''"
    )
    con.execute(
        f"CREATE TABLE exclusions AS SELECT code FROM {csv(folder, 'exclusions.csv')} "
        "WHERE coalesce(code, '') <> ''"
    )
    load_ms = (time.perf_counter() - start) * 1e3
    records = con.execute("SELECT count(*) FROM lines").fetchone()[0]
    out = {"duckdb": duckdb.__version__, "records": records, "load_ms": load_ms, "queries": {}}
    for name, query in (("resolved", RESOLVED), ("prefix_join", PREFIX_JOIN)):
        best = None
        for _ in range(rounds):
            t = time.perf_counter()
            con.execute(f"CREATE OR REPLACE TEMP TABLE flagged AS {query}")
            elapsed = (time.perf_counter() - t) * 1e3
            best = elapsed if best is None else min(best, elapsed)
        flags = os.path.join(folder, f"flags_{name}.csv").replace("'", "''")
        con.execute(f"COPY (SELECT line, rule FROM flagged ORDER BY line, rule) TO '{flags}' (HEADER false)")
        count = con.execute("SELECT count(*) FROM flagged").fetchone()[0]
        out["queries"][name] = {"query_ms": best, "flagged": count}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
