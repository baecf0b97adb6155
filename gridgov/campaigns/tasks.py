"""Background work of campaigns: spreadsheet imports of signed letters, and the nightly recount that makes the
targets follow the registry (households and places added, moved or retired after a campaign started). django.tasks
has no scheduler, so the recount re-enqueues itself, as the cases app's escalation does."""

from django.conf import settings
from django.tasks import task

from gridgov.core.tasks import enqueue_once


@task()
def signing_import_task(job_id: int) -> None:
    from gridgov.campaigns.services.imports import signing_import_run

    signing_import_run(job_id)


@task()
def campaigns_recount_task() -> int:
    """Rebuilds the counters of every active campaign; returns how many campaigns were recounted."""
    from gridgov.campaigns.models import Campaign
    from gridgov.campaigns.services.counters import campaign_recount

    try:
        done = 0
        for campaign in Campaign.objects.filter(state=Campaign.State.ACTIVE).order_by("pk"):
            campaign_recount(actor=None, campaign=campaign)
            done += 1
        return done
    finally:
        schedule_campaigns_recount(
            delay_seconds=getattr(settings, "GRIDGOV_CAMPAIGN_RECOUNT_INTERVAL_SECONDS", 24 * 3600)
        )


def schedule_campaigns_recount(*, delay_seconds: int = 0) -> bool:
    """Queues the next recount unless one is already waiting; True if one was queued."""
    return enqueue_once(campaigns_recount_task, delay_seconds=delay_seconds)
