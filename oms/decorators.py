"""View decorators every staff screen uses."""

from django.contrib.auth.decorators import login_required, permission_required


def staff_required(permission: str):
    """A signed-in user with `permission`: anonymous visitors go to the login page, a signed-in
    user without the permission gets 403 (not a login loop)."""

    def decorator(view):
        return login_required(permission_required(permission, raise_exception=True)(view))

    return decorator
