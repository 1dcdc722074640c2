from django.utils import timezone


def update_last_login_outside_the_trail(sender, user, **kwargs):
    user.last_login = timezone.now()
    user.save_without_historical_record(update_fields=["last_login"])
