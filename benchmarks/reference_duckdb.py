"""Run the floor (reference_floor.sql) on a raw folder; write its facts to Parquet.

    python benchmarks/reference_duckdb.py RAW_DIR OUT.parquet

DuckDB picks its own thread count (the machine's cores) and memory limit, as a
hand-written script would.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from segmart import keys

SQL = Path(__file__).with_name("reference_floor.sql")


def main(raw_dir: str, out: str) -> None:
    pads = keys.current_pads()
    sql = SQL.read_text().replace("{raw_dir}", raw_dir).replace("{out}", out)
    sql = sql.replace("{inner_pad}", pads[:128]).replace("{outer_pad}", pads[128:])
    con = duckdb.connect()
    try:
        con.execute(sql)
    finally:
        con.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
