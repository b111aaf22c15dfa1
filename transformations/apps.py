from django.apps import AppConfig


def _run_transformation(job, ctx) -> None:
    # Imported on first use so web processes never load the pipeline and engines.
    from transformations.runner import run_transformation

    run_transformation(job, ctx)


class TransformationsConfig(AppConfig):
    name = "transformations"

    def ready(self) -> None:
        from jobqueue.registry import JobKind, register_job_kind
        from transformations import checks  # noqa: F401  (registers system checks)
        from transformations.models import TransformationJob

        register_job_kind(
            JobKind(
                name="transformation",
                model=TransformationJob,
                handler=_run_transformation,
                priority=10,
            )
        )
