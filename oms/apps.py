from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OmsConfig(AppConfig):
    name = "oms"
    verbose_name = "OMS core"

    def ready(self) -> None:
        from oms.roles import roles_sync

        post_migrate.connect(roles_sync, dispatch_uid="oms.roles_sync")
