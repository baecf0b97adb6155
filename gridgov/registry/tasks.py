from django.tasks import task


@task()
def import_job_task(job_id: int) -> None:
    from gridgov.registry.services.jobs import import_job_run

    import_job_run(job_id)
