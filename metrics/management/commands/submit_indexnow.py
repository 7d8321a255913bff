from django.core.management.base import BaseCommand, CommandError

from metrics.indexnow import enabled, submit_changed_pages


class Command(BaseCommand):
    help = (
        "Submit the pages queued since the last submission (admin edits queue theirs) to "
        "INDEXNOW_ENDPOINT in batches, removing each batch from the queue once accepted. Does "
        "nothing unless INDEXNOW_KEY is set."
    )

    def handle(self, *args, **options):
        if not enabled():
            self.stdout.write("IndexNow is off: INDEXNOW_KEY is not set.")
            return
        report = submit_changed_pages()
        if report.failed:
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
