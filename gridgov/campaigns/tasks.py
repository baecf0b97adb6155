from django.tasks import task


@task()
def signing_import_task(job_id: int) -> None:
    from gridgov.campaigns.services.imports import signing_import_run

    signing_import_run(job_id)
