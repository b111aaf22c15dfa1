"""The six measurements of bench/run.py. Each returns plain data; run.py renders it.

Django is set up in this process (benchsite settings, the bench database) before any of
these run: enqueueing, reading job rows and counting queries happen here, while workers,
procrastinate's workers, gunicorn and the load generator are subprocesses.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from harness import BENCH_DIR, PROJECT_DIR, Processes, free_port, peak_rss_mb, wait_until

SAMPLE = PROJECT_DIR / "samples" / "time-spent" / "time-spent.fountain"
NOTIFY_WORKER_POLL = 1.0  # the product's default WORKER_POLL_INTERVAL


@dataclass
class Bench:
    quick: bool
    database_url: str
    dsn: str  # the same database as a libpq URL, for psycopg and procrastinate
    env: dict[str, str]
    procs: Processes
    workdir: Path
    user: object = None
    token: str = ""
    port: int = 0
    gunicorn: list = field(default_factory=list)

    def pg(self):
        import psycopg

        return psycopg.connect(self.dsn, autocommit=True)


# ---------------------------------------------------------------- workers


def start_workers(bench: Bench, count: int, *, listen: bool = True) -> list:
    """`manage.py run_worker` processes, returned once each is idle and (if asked) listening."""
    from jobqueue.models import WorkerHeartbeat

    argv = [sys.executable, "manage.py", "run_worker", "--poll-interval", str(NOTIFY_WORKER_POLL)]
    if not listen:
        argv.append("--no-listen")
    workers = [bench.procs.start("run_worker", argv, bench.env) for _ in range(count)]
    pids = [w.pid for w in workers]
    wait_until(
        lambda: WorkerHeartbeat.objects.filter(pid__in=pids).count() == count,
        timeout=120,
        what="workers to start",
        interval=0.05,
        alive=workers,
    )
    if listen:
        with bench.pg() as conn:

            def listening() -> bool:
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = 'run_worker-listen'"
                ).fetchone()
                return row[0] >= count

            wait_until(
                listening, timeout=60, what="workers to LISTEN", interval=0.05, alive=workers
            )
    else:
        time.sleep(1.0)  # past the first poll
    return workers


def start_procrastinate_workers(bench: Bench, count: int, *, concurrency: int = 1) -> list:
    argv = [
        sys.executable,
        "-m",
        "procrastinate",
        "--app=procrastinate_app.app",
        "worker",
        "--queues=bench",
        f"--concurrency={concurrency}",
    ]
    workers = [bench.procs.start("procrastinate", argv, bench.env) for _ in range(count)]
    with bench.pg() as conn:
        wait_until(
            lambda: (
                conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0] == count
            ),
            timeout=120,
            what="procrastinate workers to register",
            interval=0.05,
            alive=workers,
        )
    time.sleep(0.5)  # its LISTEN follows registration
    return workers


# ---------------------------------------------------------------- 1. pickup latency


def _arrival_gaps(seed: int):
    rng = random.Random(seed)
    # Open-loop arrivals, 20–100 ms apart (mean 60 ms): each enqueue lands at a random
    # point of the poll cycle, and jobs rarely queue behind one another.
    return lambda: rng.uniform(0.02, 0.10)


def _ours_wait_done(ids, alive) -> None:
    from benchsite.models import NoopJob

    wait_until(
        lambda: NoopJob.objects.filter(pk__in=ids, status="completed").count() == len(ids),
        timeout=300,
        what="no-op jobs to complete",
        interval=0.05,
        alive=alive,
    )


def pickup_ours(bench: Bench, *, listen: bool, rounds: int, per_round: int) -> list[list[float]]:
    """Enqueue → claimed (`started_at`, the claim's statement time), in ms, per round."""
    from benchsite.models import NoopJob
    from benchsite.services import noop_enqueue

    workers = start_workers(bench, 1, listen=listen)
    try:
        _ours_wait_done([noop_enqueue().pk for _ in range(5)], workers)  # warm-up
        gap = _arrival_gaps(1)
        results = []
        for _ in range(rounds):
            sent = {}
            for _ in range(per_round):
                at = time.time()
                sent[noop_enqueue().pk] = at
                time.sleep(gap())
            _ours_wait_done(list(sent), workers)
            started = NoopJob.objects.filter(pk__in=sent).values_list("pk", "started_at")
            results.append([(s.timestamp() - sent[pk]) * 1000 for pk, s in started])
    finally:
        bench.procs.stop(workers)
    return results


def _procrastinate_wait_done(conn, ids, alive) -> None:
    wait_until(
        lambda: (
            conn.execute(
                "SELECT count(*) FROM procrastinate_jobs "
                "WHERE id = ANY(%s) AND status = 'succeeded'",
                [ids],
            ).fetchone()[0]
            == len(ids)
        ),
        timeout=300,
        what="procrastinate jobs to succeed",
        interval=0.05,
        alive=alive,
    )


def pickup_procrastinate(bench: Bench, *, rounds: int, per_round: int) -> list[list[float]]:
    """Enqueue → its `started` event (written by its fetch, the claim), in ms, per round."""
    from procrastinate_app import app, noop

    workers = start_procrastinate_workers(bench, 1)
    try:
        with app.open(), bench.pg() as conn:
            _procrastinate_wait_done(conn, [noop.defer() for _ in range(5)], workers)
            gap = _arrival_gaps(1)
            results = []
            for _ in range(rounds):
                sent = {}
                for _ in range(per_round):
                    at = time.time()
                    sent[noop.defer()] = at
                    time.sleep(gap())
                ids = list(sent)
                _procrastinate_wait_done(conn, ids, workers)
                started = conn.execute(
                    "SELECT job_id, extract(epoch FROM at)::float8 FROM procrastinate_events "
                    "WHERE type = 'started' AND job_id = ANY(%s)",
                    [ids],
                ).fetchall()
                results.append([(at - sent[job]) * 1000 for job, at in started])
    finally:
        bench.procs.stop(workers)
    return results


# ---------------------------------------------------------------- 2. throughput


def throughput(bench: Bench, *, workers: int, jobs: int, reps: int) -> dict[str, list[float]]:
    """Jobs/s from the first claim to the last completion (database clock), per batch.

    Our workers and procrastinate's run side by side, idle but for the batch at hand, and
    the batches alternate (ours, procrastinate's no-op, procrastinate's with writes), so a
    change in the machine's load mid-run falls on all three alike.
    """
    from benchsite.models import NoopJob
    from benchsite.services import noop_enqueue_many
    from django.db.models import Max, Min
    from procrastinate_app import STAGE_TABLE_SQL, app, noop, noop_three_writes

    ours = start_workers(bench, workers)
    theirs = start_procrastinate_workers(bench, workers)
    running = ours + theirs
    rates: dict[str, list[float]] = {"ours": [], "procrastinate": [], "procrastinate_writes": []}
    try:
        with app.open(), bench.pg() as conn:
            conn.execute(STAGE_TABLE_SQL)

            def batch_ours(count: int) -> float:
                ids = noop_enqueue_many(count)  # one transaction, one NOTIFY: all wake
                _ours_wait_done(ids, running)
                span = NoopJob.objects.filter(pk__in=ids).aggregate(
                    first=Min("started_at"), last=Max("finished_at")
                )
                return count / (span["last"] - span["first"]).total_seconds()

            def batch_theirs(count: int, *, writes: bool) -> float:
                if writes:
                    first = conn.execute(
                        "SELECT coalesce(max(id), 0) + 1 FROM bench_procrastinate_stage"
                    ).fetchone()[0]
                    rows = list(range(first, first + count))
                    conn.execute(
                        "INSERT INTO bench_procrastinate_stage (id) SELECT unnest(%s::bigint[])",
                        [rows],
                    )
                    ids = noop_three_writes.batch_defer(*({"row": row} for row in rows))
                else:
                    ids = noop.batch_defer(*({} for _ in range(count)))
                _procrastinate_wait_done(conn, ids, running)
                first, last = conn.execute(
                    "SELECT min(at) FILTER (WHERE type = 'started'), "
                    "max(at) FILTER (WHERE type = 'succeeded') "
                    "FROM procrastinate_events WHERE job_id = ANY(%s)",
                    [ids],
                ).fetchone()
                return count / (last - first).total_seconds()

            measure = {
                "ours": batch_ours,
                "procrastinate": lambda n: batch_theirs(n, writes=False),
                "procrastinate_writes": lambda n: batch_theirs(n, writes=True),
            }
            for run in measure.values():  # warm-up: connections, caches, first imports
                run(workers * 5)
            for _ in range(reps):
                for name, run in measure.items():
                    rates[name].append(run(jobs))
    finally:
        bench.procs.stop(running)
    return rates


# ---------------------------------------------------------------- HTTP client


class Api:
    """The API as a client sees it: one keep-alive connection, token authentication."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Token {token}"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body=None, headers=None):
        for attempt in range(2):
            try:
                self.conn.request(
                    method, path, body=body, headers={**self.headers, **(headers or {})}
                )
                response = self.conn.getresponse()
                data = response.read()
                if response.will_close:
                    self.conn.close()
                return response.status, response, (json.loads(data) if data else None)
            except (ConnectionError, http.client.RemoteDisconnected):
                # The server closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def upload(self, path: str, filename: str, data: bytes, fields: dict[str, str]):
        boundary = uuid.uuid4().hex
        parts = [
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            ).encode()
            for name, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", path, body=b"".join(parts), headers=headers)


def start_gunicorn(bench: Bench) -> None:
    """The production server, as on Render: gthread workers so clients keep connections."""
    bench.port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "storyengine.wsgi:application",
        "--bind",
        f"127.0.0.1:{bench.port}",
        "--workers",
        "2",
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--keep-alive",
        "30",
    ]
    bench.gunicorn = [bench.procs.start("gunicorn", argv, bench.env)]

    def ready() -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", bench.port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    wait_until(ready, timeout=60, what="gunicorn", interval=0.2, alive=bench.gunicorn)


# ---------------------------------------------------------------- 3. time to first card


def time_to_first_card(bench: Bench, *, runs: int, warmup: int = 2) -> tuple[dict, str]:
    """POST the screenplay → its universe's hook pack readable through the API, in ms.

    The client polls the job as the timeline page does (If-None-Match), every 5 ms.
    Besides the total, each run is split by the job row's timestamps: the POST's answer,
    queued → claimed, claimed → completed (six stages and the universe), and the rest
    (the client noticing, and reading the cards). Returns those lists and the id of the
    last job (the load test reads it).
    """
    from transformations.models import TransformationJob

    data = SAMPLE.read_bytes()
    worker = start_workers(bench, 1)
    api = Api(bench.port, bench.token)
    out: dict[str, list[float]] = {"total": [], "post": [], "pickup": [], "work": [], "rest": []}
    job_id = ""
    try:
        for n in range(warmup + runs):
            started = time.perf_counter()
            status, _, body = api.upload(
                "/api/transformations", "time-spent.fountain", data, {"onDuplicate": "copy"}
            )
            posted = time.perf_counter()
            if status != 201:
                raise RuntimeError(f"POST /api/transformations answered {status}: {body}")
            job_id, etag, universe = body["jobId"], "", None
            while universe is None:
                status, response, job = api.request(
                    "GET",
                    f"/api/transformations/{job_id}",
                    headers={"If-None-Match": etag} if etag else None,
                )
                if status == 200:
                    etag = response.headers["ETag"]
                    if job["status"] in ("failed", "cancelled"):
                        raise RuntimeError(f"job {job_id} {job['status']}: {job['errorCode']}")
                    universe = job["outputUniverseId"]
                if universe is None:
                    time.sleep(0.005)
                    Processes.check_alive(worker)
            status, _, cards = api.request("GET", f"/api/universes/{universe}/cards")
            total = (time.perf_counter() - started) * 1000
            if status != 200 or len(cards["results"]) != 3:
                raise RuntimeError(f"cards of universe {universe}: {status} {cards}")
            if n < warmup:
                continue
            if n == warmup + runs - 1 or (n - warmup) % 10 == 9:
                print(f"  first card: {n - warmup + 1} runs, last {total:.0f} ms", flush=True)
            row = TransformationJob.objects.get(pk=job_id)
            split = {
                "total": total,
                "post": (posted - started) * 1000,
                "pickup": (row.started_at - row.created_at).total_seconds() * 1000,
                "work": (row.finished_at - row.started_at).total_seconds() * 1000,
            }
            split["rest"] = total - split["post"] - split["pickup"] - split["work"]
            for key, value in split.items():
                out[key].append(value)
    finally:
        bench.procs.stop(worker)
    return out, job_id


# ---------------------------------------------------------------- 4. scaling


def make_prose_pdf(words: int, path: Path) -> None:
    """The generated novel laid out as a text PDF (fpdf2), one outline entry per chapter."""
    from fpdf import FPDF
    from pipeline_bench import make_novel

    markdown = path.with_name(f"{path.stem}-text.md")
    make_novel(words, markdown)
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    for line in markdown.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("# ")
            if line.startswith("## "):
                pdf.add_page()
                pdf.start_section(title)
            pdf.set_font("Helvetica", "B", 14)
            pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=11)
        elif line:
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    pdf.output(str(path))
    markdown.unlink()


def scaling_documents(workdir: Path, *, scale: float) -> dict[str, dict]:
    """Documents at 1×, 2×, 5×, 10× of a base length, with the generators of Steps 3–4."""
    from pipeline_bench import make_novel, make_screenplay

    kinds = {
        "screenplay": (make_screenplay, 110, "scenes", "feature.fountain"),
        "prose": (make_novel, 100_000, "words", "novel.md"),
        "PDF": (make_prose_pdf, 100_000, "words", "novel.pdf"),
    }
    documents = {}
    for label, (make, full, unit, filename) in kinds.items():
        sizes = [max(2, int(full * scale * f / 10)) for f in (1, 2, 5, 10)]
        paths = []
        for size in [max(2, sizes[0] // 5), *sizes]:  # the first is the warm-up
            path = workdir / f"{size}-{filename}"
            if not path.exists():
                make(size, path)
            paths.append(path)
        names = [f"{size:,} {unit}" for size in sizes]
        if filename.endswith(".pdf"):
            from pypdf import PdfReader

            pages = [len(PdfReader(path).pages) for path in paths[1:]]
            names = [f"{name} ({count} pages)" for name, count in zip(names, pages, strict=True)]
        documents[label] = {
            "unit": unit,
            "sizes": sizes,
            "names": names,
            "warmup": paths[0],
            "paths": paths[1:],
        }
        if filename.endswith(".pdf"):
            documents[label]["screenplay_check"] = [pdf_screenplay_check(p) for p in paths[1:]]
    return documents


def pdf_screenplay_check(path: Path) -> dict | None:
    """Whether stage 0 will also read this PDF by position, as it does for screenplays.

    A diagnosis for the report, through the PDF reader's own (private) checks; None when
    they have moved, so a refactor of the reader never breaks the benchmark.
    """
    try:
        from transformations.ingest import pdf
        from transformations.ingest.pdf_reading import read_pdf_text
        from transformations.runner import ingest_limits_from_settings

        text = read_pdf_text(path.read_bytes(), ingest_limits_from_settings())
        headings = [
            line.text for page in text.pages for line in page if pdf._has_scene_heading(line.text)
        ]
        return {"positional": pdf._may_be_screenplay(text.pages), "headings": headings}
    except (ImportError, AttributeError, TypeError):
        return None


def _job_create(bench: Bench, path: Path):
    from transformations.services import job_config_build, job_create

    return job_create(
        user=bench.user,
        data=path.read_bytes(),
        filename=path.name.split("-", 1)[1],
        config=job_config_build(on_duplicate="copy"),
    )


def _job_wait(job, alive):
    from transformations.models import TransformationJob

    def done() -> bool:
        return TransformationJob.objects.filter(
            pk=job.pk, status__in=("completed", "failed", "cancelled")
        ).exists()

    wait_until(done, timeout=600, what=f"job {job.pk}", interval=0.05, alive=alive)
    job.refresh_from_db()
    if job.status != "completed":
        raise RuntimeError(f"job {job.pk} {job.status}: {job.error_code} {job.error_message_dev}")
    return job


def scaling(bench: Bench, documents: dict[str, dict], *, reps: int) -> dict[str, list[dict]]:
    """Per kind and size: claim → completed (database clock), stage times, worker peak RSS.

    One fresh worker per kind and repetition takes a small warm-up document (imports,
    YAKE's models), then the four sizes in ascending order, so its peak RSS after each
    size is the peak that size needed.
    """
    results: dict[str, list[dict]] = {label: [] for label in documents}
    for rep in range(reps):
        for label, doc in documents.items():
            worker = start_workers(bench, 1)
            try:
                _job_wait(_job_create(bench, doc["warmup"]), worker)
                for index, path in enumerate(doc["paths"]):
                    job = _job_wait(_job_create(bench, path), worker)
                    seconds = (job.finished_at - job.started_at).total_seconds()
                    row = {
                        "size": doc["sizes"][index],
                        "seconds": seconds,
                        "rss_mb": peak_rss_mb(worker[0].pid),
                        "stages": {
                            k: v.get("durationMs", 0) / 1000 for k, v in job.stage_timings.items()
                        },
                        "source_type": job.source_type,
                        "rep": rep,
                    }
                    results[label].append(row)
                    print(
                        f"  scaling {label} {row['size']:,} {doc['unit']} (rep {rep + 1}): "
                        f"{seconds:.2f} s, worker peak RSS {row['rss_mb']:.0f} MB",
                        flush=True,
                    )
            finally:
                bench.procs.stop(worker)
    return results


# ---------------------------------------------------------------- 5. API under load


def api_load(bench: Bench, job_id: str, *, reps: int, seconds: float, threads: int) -> dict:
    """Requests/s and latency for the poll endpoint and the two ceilings, interleaved."""
    api = Api(bench.port, bench.token)
    _, response, _ = api.request("GET", f"/api/transformations/{job_id}")
    etag = response.headers["ETag"]
    auth = f"Authorization: Token {bench.token}"
    endpoints = {
        "ceiling": ("/bench/ceiling", []),
        "ceiling_auth": ("/bench/ceiling-auth", [auth]),
        "poll_200": (f"/api/transformations/{job_id}", [auth]),
        "poll_304": (f"/api/transformations/{job_id}", [auth, f"If-None-Match: {etag}"]),
    }
    expected = {"poll_304": "304"}
    results: dict[str, list[dict]] = {name: [] for name in endpoints}
    for rep in range(reps):
        for name, (path, headers) in endpoints.items():
            argv = [
                sys.executable,
                str(BENCH_DIR / "loadgen.py"),
                f"--port={bench.port}",
                f"--path={path}",
                f"--threads={threads}",
                f"--seconds={seconds}",
                "--warmup=1",
            ]
            for header in headers:
                argv.append(f"--header={header}")
            out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            want = expected.get(name, "200")
            if set(result["statuses"]) != {want}:
                raise RuntimeError(f"{name}: expected only {want}, got {result['statuses']}")
            results[name].append(result)
            print(
                f"  load {name} (rep {rep + 1}): {result['rps']:.0f} req/s, "
                f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms",
                flush=True,
            )
    return results


def request_costs(bench: Bench, job_id: str, *, iterations: int) -> dict[str, float]:
    """Median ms per request in this process (Django's test client: no HTTP, no server).

    Interleaved with the single queries that tell the endpoints apart, so the poll
    endpoint's cost can be split into the ceiling's and the job lookup's. The request log
    line is silenced here (it goes to this process's terminal); every endpoint pays it.
    """
    import logging

    from django.test import Client
    from rest_framework.authtoken.models import Token

    from transformations.selectors import job_list_visible

    client = Client(HTTP_AUTHORIZATION=f"Token {bench.token}", HTTP_HOST="127.0.0.1")
    path = f"/api/transformations/{job_id}"
    etag = client.get(path)["ETag"]
    user = bench.user
    probes = {
        "ceiling": lambda: client.get("/bench/ceiling"),
        "ceiling_auth": lambda: client.get("/bench/ceiling-auth"),
        "poll_200": lambda: client.get(path),
        "poll_304": lambda: client.get(path, HTTP_IF_NONE_MATCH=etag),
        "query_token": lambda: Token.objects.select_related("user").get(key=bench.token),
        "query_job": lambda: job_list_visible(user=user).get(pk=job_id),
        "query_job_version": lambda: (
            job_list_visible(user=user).filter(pk=job_id).values_list("version", flat=True).get()
        ),
    }
    request_log = logging.getLogger("core.request")
    level = request_log.level
    request_log.setLevel(logging.WARNING)
    timings: dict[str, list[float]] = {name: [] for name in probes}
    try:
        for n in range(iterations + 20):
            for name, probe in probes.items():
                started = time.perf_counter()
                probe()
                if n >= 20:
                    timings[name].append((time.perf_counter() - started) * 1000)
    finally:
        request_log.setLevel(level)
    return {name: sorted(values)[len(values) // 2] for name, values in timings.items()}


# ---------------------------------------------------------------- 6. database cost


def _table_writes(conn) -> dict[str, tuple[int, int, int]]:
    conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = conn.execute(
        "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables"
    ).fetchall()
    return {name: (ins, upd, dele) for name, ins, upd, dele in rows}


def _flushed_writes(conn) -> dict[str, tuple[int, int, int]]:
    """Table counters once the Django connection's backend has gone and reported.

    A backend reports its counters when it exits (or at most once a second while it
    lives), so the phase's connection is closed and the counters read until they settle.
    """
    from django.db import connection

    if connection.connection is not None:
        pid = connection.connection.info.backend_pid
        connection.close()
        wait_until(
            lambda: (
                conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]
                ).fetchone()[0]
                == 0
            ),
            timeout=10,
            what="the backend to exit",
        )
    previous = None
    for _ in range(40):
        time.sleep(0.1)
        current = _table_writes(conn)
        if current == previous:
            return current
        previous = current
    return previous


def _delta(before, after) -> dict[str, tuple[int, int, int]]:
    delta = {}
    for table, counts in after.items():
        old = before.get(table, (0, 0, 0))
        diff = tuple(a - b for a, b in zip(counts, old, strict=True))
        if any(diff):
            delta[table] = diff
    return delta


def database_cost(bench: Bench) -> dict[str, dict]:
    """Queries (CaptureQueriesContext) and rows written (pg_stat_user_tables) per phase.

    Phases of one Time Spent transformation, all in this process with no worker or
    server running, so every counted row is the phase's own: the API POST, the worker's
    run (claim, six stages, finalisation), the reads a client makes, and the worker's run
    again with ASSETS_AUTO_GENERATE on (the asset jobs it queues are then cancelled).
    """
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from assets.models import AssetJob
    from jobqueue.worker import Worker

    client = Client(HTTP_AUTHORIZATION=f"Token {bench.token}", HTTP_HOST="127.0.0.1")
    data = SAMPLE.read_bytes()
    worker = Worker()
    results: dict[str, dict] = {}

    def phase(name: str, action) -> object:
        with bench.pg() as conn:
            before = _flushed_writes(conn)
            with CaptureQueriesContext(connection) as queries:
                value = action()
            count = len(queries.captured_queries)
            after = _flushed_writes(conn)
        writes = _delta(before, after)
        results[name] = {
            "queries": count,
            "inserted": sum(w[0] for w in writes.values()),
            "updated": sum(w[1] for w in writes.values()),
            "deleted": sum(w[2] for w in writes.values()),
            "tables": writes,
        }
        return value

    def post():
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("time-spent.fountain", data, content_type="text/plain")
        response = client.post("/api/transformations", {"file": upload, "onDuplicate": "copy"})
        assert response.status_code == 201, response.content
        return response.json()["jobId"]

    def work():
        assert worker.handle_one(), "the worker found no job"

    worker.rescue_if_due(force=True)  # due again only in WORKER_RESCUE_INTERVAL: not counted
    job_id = phase("POST /api/transformations", post)
    phase("worker: claim, 6 stages, universe", work)
    response = client.get(f"/api/transformations/{job_id}")
    universe = response.json()["outputUniverseId"]
    etag = response["ETag"]
    phase(
        "GET /api/transformations/{id} (200)", lambda: client.get(f"/api/transformations/{job_id}")
    )
    phase(
        "GET /api/transformations/{id} (304)",
        lambda: client.get(f"/api/transformations/{job_id}", HTTP_IF_NONE_MATCH=etag),
    )
    phase("GET /api/universes/{id}/cards", lambda: client.get(f"/api/universes/{universe}/cards"))
    post()
    settings.ASSETS_AUTO_GENERATE = True
    try:
        phase("worker, ASSETS_AUTO_GENERATE on", work)
    finally:
        settings.ASSETS_AUTO_GENERATE = False
        with contextlib.suppress(Exception):
            AssetJob.objects.filter(status="queued").update(status="cancelled")
    from benchsite.services import noop_enqueue

    phase("enqueue one no-op job (bench)", noop_enqueue)
    phase("worker: one no-op job (bench)", work)
    return results
