from django.apps import AppConfig


def _run_asset(job, ctx) -> None:
    # Imported on first use so web processes never load the generators.
    from assets.runner import run_asset

    run_asset(job, ctx)


class AssetsConfig(AppConfig):
    name = "assets"

    def ready(self) -> None:
        from assets.models import AssetJob
        from jobqueue.registry import JobKind, register_job_kind

        register_job_kind(
            JobKind(
                name="asset",
                model=AssetJob,
                handler=_run_asset,
                # Stories before pictures: a waiting transformation is claimed first.
                priority=5,
            )
        )
