from celery import shared_task

from inventory.services import reorder_alerts_scan


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def reorder_alerts_scan_task(self) -> int:
    """Celery beat: raise reorder alerts (once per episode); returns how many were raised."""
    return len(reorder_alerts_scan(actor=None).raised)
