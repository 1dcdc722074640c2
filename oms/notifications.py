"""The shared mail helper: one e-mail from a text and an HTML template of the same name.

`mail_message(template="fulfillment/email/order_shipped", ...)` renders
`<template>.txt` (the body) and `<template>.html` (the alternative), with the subject given.
Sending is the caller's business (a Celery task after commit, never inside a transaction
that holds locks).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def mail_message(*, template: str, context: dict, to: list[str], subject: str) -> EmailMultiAlternatives:
    context = {"site_url": settings.OMS_SITE_URL.rstrip("/"), "seller": settings.OMS_SELLER, **context}
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[address for address in to if address],
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def send_mail_message(message: EmailMultiAlternatives) -> None:
    if not message.to:
        raise ValueError("The e-mail has no recipient.")
    message.send(fail_silently=False)
