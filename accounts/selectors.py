from django.conf import settings
from django.db.models import prefetch_related_objects
from django_otp import user_has_device

ADMIN_ROLE = "admin"


def user_needs_second_factor(user) -> bool:
    """True when the user's roles (settings.OMS_TWO_FACTOR_ROLES) call for a second factor."""
    roles = set(settings.OMS_TWO_FACTOR_ROLES)
    if not roles or not user.is_authenticated:
        return False
    if ADMIN_ROLE in roles and (user.is_staff or user.is_superuser):
        return True
    # The groups are fetched once onto the request's user: the navigation bar lists them too.
    prefetch_related_objects([user], "groups")
    return any(group.name in roles for group in user.groups.all())


def user_has_second_factor(user) -> bool:
    return user_has_device(user, confirmed=True)
