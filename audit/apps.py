from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from audit.receivers import update_last_login_outside_the_trail

        # A sign-in is not a change somebody made to the user: keep it out of the user's history.
        if user_logged_in.disconnect(dispatch_uid="update_last_login"):
            user_logged_in.connect(update_last_login_outside_the_trail, dispatch_uid="update_last_login")
