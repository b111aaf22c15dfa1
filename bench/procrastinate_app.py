"""The baseline: procrastinate (a maintained PostgreSQL job queue) on the bench database.

Its own worker (`procrastinate --app=procrastinate_app.app worker`), its own
PsycopgConnector and its own schema, applied in the bench database beside ours.
"""

from __future__ import annotations

import os

from procrastinate import App, PsycopgConnector

QUEUE = "bench"
# Rows the "same work" task writes to, three times per job, as our no-op job does.
STAGE_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS bench_procrastinate_stage (
    id bigint PRIMARY KEY,
    current_stage smallint NOT NULL DEFAULT 0,
    stage_statuses jsonb NOT NULL DEFAULT '{}'
)
"""

app = App(connector=PsycopgConnector(conninfo=os.environ.get("BENCH_PROCRASTINATE_DSN", "")))


@app.task(name="noop", queue=QUEUE)
async def noop() -> None:
    """Nothing at all: procrastinate's own cost per job (fetch, then finish)."""


@app.task(name="noop_three_writes", queue=QUEUE, pass_context=True)
async def noop_three_writes(context, row: int) -> None:
    """Three row updates, one statement each, like our job's three fenced stage writes."""
    statuses: dict[str, str] = {}
    for stage in range(3):
        statuses[str(stage)] = "done"
        await context.app.connector.execute_query_async(
            "UPDATE bench_procrastinate_stage SET current_stage = %(stage)s, "
            "stage_statuses = %(statuses)s WHERE id = %(row)s",
            stage=stage + 1,
            statuses=statuses,
            row=row,
        )
