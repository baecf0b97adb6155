"""Background work of the air app: thin tasks taking ids."""

from django.tasks import task


@task()
def air_import_task(job_id: int) -> int:
    from gridgov.air.services.imports import import_job_run

    return import_job_run(job_id=job_id).created
