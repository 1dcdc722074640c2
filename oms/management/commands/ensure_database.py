from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connections
from django.db.utils import OperationalError


class Command(BaseCommand):
    help = "Create the PostgreSQL database named in DATABASE_URL if it does not exist yet (SQLite: nothing to do)."

    def handle(self, *args, **options):
        if not settings.USING_POSTGRES:
            return
        connection = connections["default"]
        try:
            connection.ensure_connection()
            return
        except OperationalError as exc:
            if "does not exist" not in str(exc):
                raise
        name = settings.DATABASES["default"]["NAME"]
        # The server's maintenance database is reachable with the same credentials.
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        self.stdout.write(f"Created database {name}.")
