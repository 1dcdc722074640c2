from django.core.management.base import BaseCommand, CommandError

from inventory.selectors import ledger_drift


class Command(BaseCommand):
    help = "Verify that every stock level's on hand and allocated equal the sums of its ledger movements."

    def handle(self, *args, **options):
        drift = ledger_drift()
        for row in drift:
            self.stderr.write(
                f"{row['level']}: on hand {row['on_hand']} vs ledger {row['ledger_on_hand']}, "
                f"allocated {row['allocated']} vs ledger {row['ledger_allocated']}"
                + (f", open allocations {row['open_allocations']}" if "open_allocations" in row else ""))
        if drift:
            raise CommandError(f"{len(drift)} stock level(s) drift from the ledger.")
        self.stdout.write(self.style.SUCCESS("Stock ledger OK: every level matches its movements."))
