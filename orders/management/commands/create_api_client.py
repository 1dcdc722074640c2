from django.core.management.base import BaseCommand, CommandError

from oms.exceptions import DomainError
from orders.enums import Channel
from orders.services import api_client_create


class Command(BaseCommand):
    help = "Create an intake API client for a channel and print its key (shown this once, stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--channel", default=Channel.WEB, choices=Channel.values)

    def handle(self, *args, name, channel, **options):
        try:
            client, key = api_client_create(actor=None, name=name, channel=channel)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"API client {client} created. Its key (keep it secret; it is not shown again):")
        self.stdout.write(key)
