"""Return side effects, run after the return's transaction commits; safe to run twice."""

from celery import shared_task

RETRY = {"autoretry_for": (ConnectionError, TimeoutError, OSError), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def return_email_task(*, return_id: int, kind: str) -> bool:
    from returns.notifications import return_email_send

    return return_email_send(return_id=return_id, kind=kind)
