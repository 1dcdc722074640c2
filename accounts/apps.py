from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Staff sign-in"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts.receivers import forget_login_failures

        user_logged_in.connect(forget_login_failures, dispatch_uid="accounts.forget_login_failures")
