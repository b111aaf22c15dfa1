"""Chaos drills with real `run_worker` processes on PostgreSQL (DESIGN §5).

SIGKILL at random moments, a database restart, a dropped LISTEN connection and
SIGTERM during stages longer than the grace period. Each drill ends by checking
the durable state, not timings: every job finished exactly once, its files are
whole and nothing is left behind.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import random
import shlex
import shutil
import signal
import subprocess
import time
from collections import Counter, deque
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import InterfaceError, OperationalError, connection

from assets.models import AssetJob, AssetStatus, AssetType
from assets.selectors import asset_generation_status
from jobqueue.models import QueueStatus
from jobqueue.worker import Worker
from tests.helpers import WorkerProcess, reload, wait_for
from transformations.models import StageStatus, TransformationJob
from universes.models import Universe

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.postgres,
]

ACTIVE = (QueueStatus.QUEUED, QueueStatus.RUNNING)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "chaos drills need PostgreSQL (SKIP LOCKED, LISTEN/NOTIFY, a server to restart)"
        )


# Varied small sources -------------------------------------------------------------------

NAMES = ["ANNA", "BEN", "CLARA", "DEV", "ESME", "FINN", "GRETA", "HUGO", "IRIS", "JONAH"]
PLACES = ["KITCHEN", "HARBOUR", "STATION", "GARDEN", "LIBRARY", "ROOFTOP", "BAKERY", "FERRY"]
LINES = [
    "You said you would be here at noon.",
    "The tide does not wait for anyone, least of all me.",
    "Keep the lamp lit until I come back.",
    "I found the letter you never sent.",
    "We could still catch the last train.",
    "Nobody has opened that door in years.",
    "Tell me the truth this time.",
    "I kept the key. I always keep the key.",
]


def varied_source(n: int, rng: random.Random) -> tuple[str, bytes]:
    """A small story in one of three text formats, different for every n."""
    cast = rng.sample(NAMES, 3)
    scenes = [(rng.choice(PLACES), rng.sample(LINES, 3)) for _ in range(rng.randint(2, 4))]
    kind = n % 3
    if kind == 0:
        parts = [f"Title: Drill {n}\n"]
        for place, lines in scenes:
            parts.append(f"INT. {place} - {rng.choice(['DAY', 'NIGHT'])}\n")
            parts.append(f"{cast[0].title()} waits by the window, story {n}.\n")
            for i, line in enumerate(lines):
                parts.append(f"{cast[i % 2]}\n{line}\n")
        return f"drill-{n}.fountain", "\n".join(parts).encode()
    if kind == 1:
        parts = [f"# Drill {n}\n"]
        for number, (place, lines) in enumerate(scenes, start=1):
            parts.append(f"## Chapter {number}: the {place.lower()}\n")
            parts.append(
                f"{cast[0].title()} and {cast[1].title()} met at the {place.lower()}. "
                f'"{lines[0]}" said {cast[0].title()}. {cast[1].title()} only nodded, '
                f'then answered: "{lines[1]}"\n'
            )
        return f"drill-{n}.md", "\n".join(parts).encode()
    parts = [f"Drill {n}\n"]
    for place, lines in scenes:
        parts.append(
            f"{cast[2].title()} walked to the {place.lower()} before dawn. "
            f'"{lines[2]}" {cast[2].title()} told {cast[0].title()}, who had waited all night. '
            f"It was the {n}th morning of the story, and nothing would be the same again."
        )
    return f"drill-{n}.txt", "\n\n".join(parts).encode()


# Helpers ------------------------------------------------------------------------------


def held_by(worker: WorkerProcess) -> list:
    """Rows whose lease this (dead) worker holds: lease_owner is `host:pid:uuid`."""
    owner = f":{worker.pid}:"
    return [
        *TransformationJob.objects.filter(
            status=QueueStatus.RUNNING, lease_owner__contains=owner
        ).values_list("pk", flat=True),
        *AssetJob.objects.filter(
            status=QueueStatus.RUNNING, lease_owner__contains=owner
        ).values_list("pk", flat=True),
    ]


def backends_named(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [name])
        return cursor.fetchone()[0]


def batch_done(jobs) -> bool:
    pks = [job.pk for job in jobs]
    return (
        not TransformationJob.objects.filter(pk__in=pks, status__in=ACTIVE).exists()
        and not AssetJob.objects.filter(status__in=ACTIVE).exists()
    )


def files_under_asset_dirs(media_root: Path) -> set[str]:
    return {
        path.relative_to(media_root).as_posix()
        for path in media_root.glob("universes/*/assets/**/*")
        if path.is_file()
    }


def assert_batch_completed_exactly_once(jobs, media_root: Path, kills_holding: Counter) -> None:
    rows = list(TransformationJob.objects.filter(pk__in=[job.pk for job in jobs]))
    for row in rows:
        assert row.status == QueueStatus.COMPLETED, (row.pk, row.error_code, row.error_message_dev)
        assert set(row.stage_statuses.values()) == {StageStatus.DONE}
        # Each rescue took one claim; the last claim finished the job.
        assert row.attempt == row.rescued_count + 1, row.pk
        assert row.rescued_count == kills_holding[row.pk], row.pk

    universes = Universe.objects.filter(transformation_jobs__in=rows)
    assert Universe.objects.count() == len(rows) == len({row.output_universe_id for row in rows})
    for row in rows:
        universe = row.output_universe
        assert (universe.source_job_id, universe.source_sha256) == (row.pk, row.source_sha256)
        assert universe.cards.count() > 0
    assert len(set(universes.values_list("owner", "source_sha256"))) == len(rows)

    referenced: set[str] = set()
    assets = list(AssetJob.objects.all())
    assert {asset.universe_id for asset in assets} == {row.output_universe_id for row in rows}
    for universe in Universe.objects.all():
        keys = sorted(AssetJob.objects.filter(universe=universe).values_list("key", flat=True))
        days = sorted(universe.cards.values_list("day_index", flat=True))
        expected = ["cover", "pdf"] + [
            f"{kind}:{day}" for day in days for kind in ("activities", "card_image", "narration")
        ]
        assert keys == sorted(expected), universe.pk
        mirrored = universe.asset_generation_status
        rebuilt = asset_generation_status(universe)
        assert mirrored["overall"] == rebuilt["overall"] == "ready", mirrored["overall"]
        assert {k: v["status"] for k, v in mirrored["assets"].items()} == {
            k: v["status"] for k, v in rebuilt["assets"].items()
        }
    for asset in assets:
        label = (asset.key, asset.universe_id)
        assert asset.status == QueueStatus.COMPLETED, (*label, asset.error_message_dev)
        assert asset.asset_status in (AssetStatus.READY, AssetStatus.SKIPPED), label
        assert asset.attempt == asset.rescued_count + 1, label
        assert asset.rescued_count == kills_holding[asset.pk], label
        finished = [e for e in asset.history if e["status"] in (AssetStatus.READY, "skipped")]
        assert len(finished) == 1, (*label, asset.history)
        if asset.asset_status == AssetStatus.READY and asset.asset_type != AssetType.ACTIVITIES:
            assert asset.files, label  # activities are data only
        for info in asset.files.values():
            data = (media_root / info["path"]).read_bytes()
            assert len(data) == info["size"], (*label, info["path"])
            assert hashlib.sha256(data).hexdigest() == info["sha256"], (*label, info["path"])
            referenced.add(info["path"])
    assert files_under_asset_dirs(media_root) == referenced


# 1. SIGKILL at random moments ------------------------------------------------------------

CHAOS_SEED = 20260707
CHAOS_ROUNDS = 20


def test_twenty_sigkills_at_random_moments_complete_every_job_exactly_once(
    settings, make_job, spawn_worker
):
    rng = random.Random(CHAOS_SEED)
    # Twenty kills can hit one job more often than its production attempt budget allows;
    # the drill is about exactly-once, not about giving up (tested in test_queue.py).
    settings.JOB_MAX_ATTEMPTS = 100
    jobs = [
        make_job(data, filename=name) for name, data in map(varied_source, range(10), [rng] * 10)
    ]
    env = {
        "ASSETS_AUTO_GENERATE": "1",
        # Sleeps widen the windows in which a kill lands mid-stage or mid-asset.
        "STORY_ENGINE_FAULTS": "1:sleep=0.2,3:sleep=0.3,5:sleep=0.2",
        "ASSET_FAULTS": "cover sleep 0.3,card_image:* sleep 0.1,pdf sleep 0.3",
    }
    spawned = 0

    def spawn() -> tuple[WorkerProcess, str]:
        nonlocal spawned
        spawned += 1
        name = f"chaos-worker-{spawned}"
        return spawn_worker(DB_APPLICATION_NAME=name, **env), name

    def started(worker: WorkerProcess) -> bool:
        return " started " in worker.log()

    alive = [spawn(), spawn()]
    for worker, _ in alive:
        wait_for(lambda worker=worker: started(worker), timeout=30, message=worker.log())
    # Each replacement is started a round ahead: importing Django takes a worker a second or
    # more (several on a busy machine). It does so while two others work, so every kill
    # lands in a worker past its start-up without the drill waiting for one to boot.
    spares = deque([spawn()])
    kills_holding: Counter = Counter()
    started_at = time.monotonic()
    for _ in range(CHAOS_ROUNDS):
        # Asset jobs are created by the workers with the production budget (2–3 attempts).
        AssetJob.objects.filter(max_attempts__lt=100).update(max_attempts=100)
        spares.append(spawn())
        time.sleep(rng.uniform(0, 1.5))
        victim, name = alive.pop(rng.randrange(len(alive)))
        victim.signal(signal.SIGKILL)
        victim.wait(timeout=10)
        # Once the server has dropped the dead worker's sessions, what it held is final.
        wait_for(lambda name=name: backends_named(name) == 0, timeout=10)
        kills_holding.update(held_by(victim))
        replacement = spares.popleft()
        wait_for(lambda w=replacement[0]: started(w), timeout=30, message=replacement[0].log())
        alive.append(replacement)
    alive.extend(spares)  # the last spare helps finish the batch
    drill_seconds = time.monotonic() - started_at

    wait_for(lambda: batch_done(jobs), timeout=150, message=alive[0][0].log()[-3000:])
    for worker, _ in alive:
        worker.signal(signal.SIGTERM)
    for worker, _ in alive:
        assert worker.wait(timeout=30) == 0, worker.log()[-3000:]

    print(
        f"drill {drill_seconds:.1f}s, kills holding a lease: {sum(kills_holding.values())}"
        f"/{CHAOS_ROUNDS}, total {time.monotonic() - started_at:.1f}s"
    )
    assert sum(kills_holding.values()) >= CHAOS_ROUNDS // 4, "the kills mostly missed the work"
    assert_batch_completed_exactly_once(jobs, Path(django_settings.MEDIA_ROOT), kills_holding)


# 2. A database restart -------------------------------------------------------------------


def postgres_restart_command() -> list[str] | None:
    """How to restart the server the tests use, or None when this machine cannot.

    POSTGRES_RESTART_COMMAND wins (e.g. `sudo -n -u postgres pg_ctl -D … restart`); else a
    local Debian cluster on the test database's port, restarted with pg_ctlcluster (as
    root, which runs pg_ctl as the cluster's owner, or as that owner).
    """
    if command := os.environ.get("POSTGRES_RESTART_COMMAND"):
        return shlex.split(command)
    db = connection.settings_dict
    if (db.get("HOST") or "localhost") not in ("localhost", "127.0.0.1", "::1"):
        return None
    if shutil.which("pg_lsclusters") is None or shutil.which("pg_ctlcluster") is None:
        return None
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True)
    me = pwd.getpwuid(os.geteuid()).pw_name
    for line in listing.stdout.splitlines():
        version, name, port, status, owner, *_ = line.split()
        ours = int(port) == int(db.get("PORT") or 5432) and status == "online"
        if ours and me in ("root", owner):
            return ["pg_ctlcluster", version, name, "restart"]
    return None


def reachable(predicate):
    """`predicate`, counting a refused or dropped database connection as not yet."""

    def check():
        try:
            return predicate()
        except (OperationalError, InterfaceError):
            connection.close()
            return False

    return check


def test_workers_survive_a_database_restart_and_finish_the_batch(make_job, spawn_worker):
    restart = postgres_restart_command()
    if restart is None:
        pytest.skip("cannot restart this PostgreSQL server (set POSTGRES_RESTART_COMMAND)")
    rng = random.Random(CHAOS_SEED + 1)
    sources = [varied_source(n, rng) for n in range(6)]
    before = [make_job(data, filename=name) for name, data in sources[:2]]
    # Two workers inside a long stage and a third idle in LISTEN when the server goes down.
    # A lease longer than the restart: the jobs must be handed back by their own workers,
    # not rescued.
    env = {"STORY_ENGINE_FAULTS": "2:sleep=1.5,4:sleep=1.5", "WORKER_LEASE_SECONDS": "15"}
    workers = [spawn_worker(**env) for _ in range(3)]
    wait_for(
        lambda: (
            TransformationJob.objects.filter(status=QueueStatus.RUNNING).count() == 2
            and listening_backends() == 1
        ),
        timeout=60,
        message=workers[0].log(),
    )

    connection.close()  # the server is about to drop it anyway
    result = subprocess.run(restart, timeout=120, capture_output=True, text=True)
    assert result.returncode == 0, f"{shlex.join(restart)}: {result.stderr}{result.stdout}"

    wait_for(reachable(lambda: TransformationJob.objects.exists()), timeout=60)
    # Queued while the workers reconnect: a NOTIFY or the next poll must find them.
    after = [make_job(data, filename=name) for name, data in sources[2:]]
    pks = [job.pk for job in before + after]
    wait_for(
        reachable(lambda: not TransformationJob.objects.filter(pk__in=pks, status__in=ACTIVE)),
        timeout=120,
        message=workers[0].log()[-3000:],
    )
    # All three LISTEN again, each on a new connection.
    wait_for(lambda: listening_backends() == 3, timeout=30, message=workers[0].log()[-3000:])
    for worker in workers:
        assert worker.process.poll() is None, worker.log()[-3000:]
        worker.signal(signal.SIGTERM)
    for worker in workers:
        assert worker.wait(timeout=30) == 0, worker.log()[-3000:]

    logs = [worker.log() for worker in workers]
    assert sum("database error mid-job" in log for log in logs) == 2, logs
    assert any("LISTEN connection lost" in log and "LISTEN again" in log for log in logs), logs
    rows = {row.pk: row for row in TransformationJob.objects.filter(pk__in=pks)}
    assert {row.status for row in rows.values()} == {QueueStatus.COMPLETED}, [
        (row.error_code, row.error_message_dev) for row in rows.values()
    ]
    # The interrupted claims were retried at once (counted), nothing waited for a rescue.
    assert [(rows[job.pk].attempt, rows[job.pk].rescued_count) for job in before] == [(2, 0)] * 2
    assert {(rows[job.pk].attempt, rows[job.pk].rescued_count) for job in after} == {(1, 0)}
    assert Universe.objects.count() == len({row.output_universe_id for row in rows.values()}) == 6


# 3. A dropped LISTEN connection -----------------------------------------------------------


def listen_backend_pids() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            # Connected is not enough: a NOTIFY sent before LISTEN completes is lost.
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'run_worker-listen'"
            " AND datname = current_database() AND state = 'idle' AND query ILIKE 'LISTEN%%'"
        )
        return [row[0] for row in cursor.fetchall()]


def listening_backends() -> int:
    return len(listen_backend_pids())


def terminate_backend(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone()[0], f"backend {pid} not terminated"


def is_completed(job):
    return lambda: reload(job).status == QueueStatus.COMPLETED


def test_a_dropped_listen_connection_falls_back_to_polling_and_reconnects(make_job, spawn_worker):
    worker = spawn_worker(STORY_ENGINE_FAULTS="2:sleep=1", WORKER_POLL_INTERVAL="0.5")
    first_pid = wait_for(lambda: listen_backend_pids(), message=worker.log())[0]

    # Dropped while idle: the job is enqueued while the listener is (most likely) still
    # reconnecting, so its NOTIFY reaches nobody; the next poll finds it.
    terminate_backend(first_pid)
    idle_drop = make_job(b"INT. HALL - DAY\n\nANNA\nAnyone?\n\nBEN\nStill here.\n")
    wait_for(is_completed(idle_drop), timeout=60, message=worker.log())
    second_pid = wait_for(lambda: listen_backend_pids(), message=worker.log())[0]
    assert second_pid != first_pid

    # Dropped while busy: noticed only at the next wait, after the job.
    busy = make_job(b"INT. YARD - NIGHT\n\nCLARA\nThe gate is open.\n\nDEV\nLeave it.\n")
    wait_for(lambda: reload(busy).status == QueueStatus.RUNNING, message=worker.log())
    terminate_backend(second_pid)
    queued_meanwhile = make_job(b"INT. ATTIC - DAY\n\nESME\nFound it.\n\nFINN\nShow me.\n")
    wait_for(is_completed(busy), timeout=60, message=worker.log())
    wait_for(is_completed(queued_meanwhile), timeout=60, message=worker.log())
    third_pid = wait_for(lambda: listen_backend_pids(), message=worker.log())[0]
    assert third_pid not in (first_pid, second_pid)

    log = worker.log()
    assert log.count("LISTEN connection lost") == 2, log
    assert log.count("LISTEN again") == 2, log
    worker.signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0, worker.log()


# 4. SIGTERM during stages longer than the grace period ----------------------------------

GRACE = 2.0


def transformation_in_a_long_stage(make_job, settings):
    job = make_job(b"INT. PIER - DUSK\n\nGRETA\nThe boat is late.\n\nHUGO\nIt always is.\n")
    return job, {"STORY_ENGINE_FAULTS": "3:sleep=60"}, lambda: stage_running(job, 3)


def stage_running(job, stage: int) -> bool:
    row = reload(job)
    return row.status == QueueStatus.RUNNING and row.stage_statuses[str(stage)] == "running"


def asset_in_a_long_generation(make_job, settings):
    """A universe made in-process, whose cover is then drawn by a worker that stalls."""
    settings.ASSETS_AUTO_GENERATE = True
    job = make_job(b"INT. BARN - DAY\n\nIRIS\nThe foal is here.\n\nJONAH\nAt last.\n")
    worker = Worker()
    while worker.handle_one() and reload(job).status != QueueStatus.COMPLETED:
        pass
    cover = AssetJob.objects.get(universe=reload(job).output_universe, key="cover")
    assert cover.status == QueueStatus.QUEUED

    def generating() -> bool:
        row = AssetJob.objects.get(pk=cover.pk)
        return row.status == QueueStatus.RUNNING and row.asset_status == AssetStatus.GENERATING

    return cover, {"ASSET_FAULTS": "cover sleep 60"}, generating


@pytest.mark.parametrize("setup", [transformation_in_a_long_stage, asset_in_a_long_generation])
def test_sigterm_mid_stage_longer_than_the_grace_hands_the_job_back_within_the_grace(
    setup, settings, make_job, spawn_worker
):
    job, faults, in_long_stage = setup(make_job, settings)
    model = type(job)
    stopping = spawn_worker(WORKER_SHUTDOWN_GRACE=str(GRACE), **faults)
    wait_for(in_long_stage, timeout=60, message=stopping.log())
    before = model.objects.get(pk=job.pk)

    signalled = time.monotonic()
    stopping.signal(signal.SIGTERM)
    # Liveness, not speed: the grace plus room for a slow machine, far below the stage.
    assert stopping.wait(timeout=GRACE + 10) == 0, stopping.log()
    stopped_after = time.monotonic() - signalled

    released = model.objects.get(pk=job.pk)
    assert released.status == QueueStatus.QUEUED
    assert (released.attempt, released.rescued_count, released.lease_owner) == (0, 0, "")
    assert "Traceback" not in stopping.log()
    if model is AssetJob:
        assert released.asset_status == AssetStatus.QUEUED and released.files == {}
        assert [e["status"] for e in released.history][-2:] == ["generating", "queued"]
    else:
        assert (released.current_stage, released.stage_statuses["3"]) == (3, "pending")

    successor = spawn_worker()
    wait_for(
        lambda: model.objects.get(pk=job.pk).status == QueueStatus.COMPLETED,
        timeout=60,
        message=successor.log(),
    )
    done = model.objects.get(pk=job.pk)
    # The handed-back claim was not counted, and nothing had to be rescued.
    assert (done.attempt, done.rescued_count) == (1, 0)
    if model is AssetJob:
        assert done.asset_status == AssetStatus.READY
        data = (Path(django_settings.MEDIA_ROOT) / done.files["main"]["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == done.files["main"]["sha256"]
    else:
        # The stages finished before the signal were not run again.
        assert all(done.stage_timings[str(i)] == before.stage_timings[str(i)] for i in range(3))
    print(f"{model.__name__}: exited {stopped_after:.1f}s after SIGTERM (grace {GRACE}s)")


def test_a_second_sigterm_exits_at_once_and_the_rescuer_recovers_the_job(make_job, spawn_worker):
    job = make_job(b"INT. MILL - NIGHT\n\nANNA\nListen to the wheel.\n\nBEN\nIt stopped.\n")
    stopping = spawn_worker(STORY_ENGINE_FAULTS="3:sleep=60", WORKER_SHUTDOWN_GRACE="60")
    wait_for(lambda: stage_running(job, 3), timeout=60, message=stopping.log())

    stopping.signal(signal.SIGTERM)
    wait_for(lambda: "finishing" in stopping.log(), message=stopping.log())
    stopping.signal(signal.SIGTERM)
    assert stopping.wait(timeout=10) == 1, stopping.log()
    assert reload(job).status == QueueStatus.RUNNING  # nothing written on the way out

    rescuer = spawn_worker()
    wait_for(is_completed(job), timeout=60, message=rescuer.log())
    row = reload(job)
    assert (row.attempt, row.rescued_count) == (2, 1)


def test_a_worker_started_while_the_database_is_down_waits_and_stops_cleanly(spawn_worker):
    # Nothing listens on port 9: every connection is refused, as during a restart.
    worker = spawn_worker(DATABASE_URL="postgres://postgres@127.0.0.1:9/storyengine")
    wait_for(lambda: "database unavailable" in worker.log(), timeout=30, message=worker.log())
    assert worker.process.poll() is None, worker.log()

    worker.signal(signal.SIGTERM)
    assert worker.wait(timeout=10) == 0, worker.log()
