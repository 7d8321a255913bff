from django.core.management.base import BaseCommand, CommandError

from metrics.alerts.sending import send_alerts


class Command(BaseCommand):
    help = (
        "Send price alerts: deletes alerts left unconfirmed for 7 days, sends confirmation "
        "emails that could not go out, and emails every confirmed alert its new listings at or "
        "under its target (at most one email per alert a day, never a listing twice). Also runs "
        "at the end of refresh_listings and import_listings. Emails that fail stay pending for "
        "the next run (exit 1). --dry-run counts what would be sent and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count only; send nothing")

    def handle(self, *args, dry_run, **options):
        run = send_alerts(dry_run=dry_run)
        if run.failed:
            raise CommandError(run.summary())
        self.stdout.write(self.style.SUCCESS(run.summary()))
