"""Which kind of Story Engine process this is, from its command line.

Used for the PostgreSQL `application_name`, so that `pg_stat_activity` tells the web's
connections from the workers' and from a one-off `migrate` or `shell` (DESIGN §9).
"""

from __future__ import annotations

from pathlib import Path

WEB = "storyengine-web"
WORKER = "storyengine-worker"
# PostgreSQL truncates longer names (NAMEDATALEN - 1) with a notice on every connection.
MAX_LENGTH = 63


def process_name(argv: list[str]) -> str:
    """`storyengine-web`, `storyengine-worker` or `storyengine-<command>` for `argv`."""
    program = argv[0] if argv else ""
    command = argv[1] if len(argv) > 1 else ""
    # `gunicorn …` and `python -m gunicorn …` (whose argv[0] is gunicorn/__main__.py).
    if "gunicorn" in program or command == "runserver":
        return WEB
    if Path(program).name in ("manage.py", "django-admin"):
        if command == "run_worker":
            return WORKER
        return f"storyengine-{command or 'help'}"[:MAX_LENGTH]
    if "pytest" in program:
        return "storyengine-test"
    return "storyengine"
