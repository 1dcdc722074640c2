from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class OmsConfig(AppConfig):
    name = "oms"
    verbose_name = "OMS core"

    def ready(self) -> None:
        from oms.roles import roles_sync

        post_migrate.connect(roles_sync, dispatch_uid="oms.roles_sync")

        from celery.signals import task_failure

        from oms.metrics import count_order_event, count_task_failure
        from orders.models import OrderEvent

        post_save.connect(count_order_event, sender=OrderEvent, dispatch_uid="oms.metrics.order_events")
        task_failure.connect(count_task_failure, dispatch_uid="oms.metrics.task_failures")
