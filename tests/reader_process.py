"""An analyst, as a separate process: reads the published warehouse until told to stop.

    python tests/reader_process.py WAREHOUSE hold|reopen OUTPUT STOP_FILE

`hold` keeps one read-only connection open for the whole time, as a notebook
does; `reopen` opens a fresh read-only connection for every look. Each look
writes one JSON line: what the warehouse said, and whether its tables agreed
with each other at that moment (a total that matches the rows it counts).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

LOOK = """
select
    (select cast(max(loaded_at) as varchar) from raw.return_files) as last_load,
    (select sum(n_met) from marts.mart_priority_performance where priority is null) as mart_met,
    (select count(*) from marts.fct_indicator_observations
        where in_return_for_period and performance_status = 'met') as fact_met
"""


def look(connection: duckdb.DuckDBPyConnection) -> dict:
    last_load, mart_met, fact_met = connection.sql(LOOK).fetchall()[0]
    return {"last_load": last_load, "mart_met": mart_met, "consistent": mart_met == fact_met}


def main(warehouse: str, mode: str, output: str, stop_file: str) -> None:
    held = duckdb.connect(warehouse, read_only=True) if mode == "hold" else None
    with Path(output).open("a") as out:
        while not Path(stop_file).exists():
            if held is not None:
                seen = look(held)
            else:
                with duckdb.connect(warehouse, read_only=True) as connection:
                    seen = look(connection)
            out.write(json.dumps(seen) + "\n")
            out.flush()
            time.sleep(0.05)
    if held is not None:
        held.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])
