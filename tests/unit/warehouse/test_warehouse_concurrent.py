"""Tasks of one scan open the warehouse at once (Prefect's thread pool): each open
bootstraps the shared macros, and two bootstraps replacing one macro at the same moment
would be a DuckDB write-write conflict."""

from __future__ import annotations

import threading

from pipelines.warehouse.connect import connect


def test_many_threads_opening_one_warehouse_at_once_all_succeed(tmp_path):
    path = tmp_path / "wh.duckdb"
    connect(path).close()  # the file exists, as it does when a scan's tasks start
    start = threading.Barrier(6)
    errors: list[BaseException] = []
    opened: list[int] = []

    def open_and_query() -> None:
        try:
            start.wait()
            for _ in range(5):
                con = connect(path)
                opened.append(con.execute("select count(*) from load_ledger").fetchall()[0][0])
                con.close()
        except BaseException as err:  # collected, asserted below
            errors.append(err)

    threads = [threading.Thread(target=open_and_query) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert opened == [0] * 30
