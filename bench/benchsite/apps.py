from django.apps import AppConfig

STAGES = 3


def run_noop(job, ctx) -> None:
    """Three fenced stage writes and a fenced completion: the queue's own work per job."""
    from jobqueue import queue
    from jobqueue.models import QueueStatus

    statuses = {}
    for stage in range(STAGES):
        statuses[str(stage)] = "done"
        ctx.write(current_stage=stage + 1, stage_statuses=statuses, progress=(stage + 1) * 30)
    queue.finish(ctx.lease, status=QueueStatus.COMPLETED, progress=100)


class BenchSiteConfig(AppConfig):
    name = "benchsite"
    label = "benchsite"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from benchsite.models import NoopJob
        from jobqueue.registry import JobKind, register_job_kind

        # Lowest priority: the product's kinds are tried first, as they are in any worker.
        register_job_kind(JobKind(name="bench-noop", model=NoopJob, handler=run_noop, priority=0))
