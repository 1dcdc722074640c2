from accounts import services


def forget_login_failures(sender, request, user, **kwargs):
    services.login_failures_clear(username=user.get_username())
