"""Flags and a seller key on every listing: engineering samples and sellers without a track
record are listed with a flag and left out of the going rate; one seller's several listings of a
card count once in it.

Stored rows get their flags here from what they already hold (the title, the seller's feedback
figures); the seller key needs the username, which was never stored, so it comes with each
listing's next refresh. Stored rankings follow with `manage.py recompute_rankings`.
"""

import re

from django.db import migrations, models
from django.db.models import Q

BATCH = 2000
# The screen's rules (listings/terms.py) as they stand now, frozen for this migration.
SAMPLE = re.compile(
    r"\b(?:engineering|qualification)\s+samples?\b|\b(?:es|qs)\b(?![-/.]\w)|\bpre[\s-]?production\b"
)
NEGATED = re.compile(r"\b(?:not|non|no)\b[\s-]*(?:an?\s+)?$")


def _sample(title: str) -> bool:
    text = title.lower()
    return any(not NEGATED.search(text, 0, m.start()) for m in SAMPLE.finditer(text))


def flag_stored_listings(apps, schema_editor):
    Listing = apps.get_model("listings", "Listing")
    Listing.objects.filter(
        Q(seller_feedback_score__lt=10)
        # eBay's 0.0% is no rating in the last 12 months: the score decides
        | Q(seller_feedback_percent__gt=0, seller_feedback_percent__lt=95)
    ).update(low_feedback_seller=True)
    samples = [
        pk
        for pk, title in Listing.objects.values_list("pk", "title").iterator(chunk_size=BATCH)
        if _sample(title)
    ]
    for start in range(0, len(samples), BATCH):
        Listing.objects.filter(pk__in=samples[start : start + BATCH]).update(
            engineering_sample=True
        )


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0010_gpu_form_factor_cooling_devices_backend'),
        ('listings', '0006_landed_price'),
    ]

    operations = [
        migrations.AddField(
            model_name='listing',
            name='engineering_sample',
            field=models.BooleanField(default=False, help_text='An engineering or qualification sample (ES, QS, pre-production): listed with a warning, left out of the going rate and headline prices.'),
        ),
        migrations.AddField(
            model_name='listing',
            name='low_feedback_seller',
            field=models.BooleanField(default=False, help_text="The seller's feedback score is under 10 or under 95% positive: listed with the flag, left out of the going rate and headline prices."),
        ),
        migrations.AddField(
            model_name='listing',
            name='seller_key',
            field=models.CharField(blank=True, help_text="A keyed hash (HMAC-SHA256 with SECRET_KEY) of the seller's eBay username, so one seller's listings of a card count once in the going rate; the username is never stored. Blank when eBay gave none or the seller's account was deleted.", max_length=64),
        ),
        migrations.AddIndex(
            model_name='listing',
            index=models.Index(condition=models.Q(('seller_key', ''), _negated=True), fields=['seller_key'], name='listing_seller'),
        ),
        migrations.RunPython(flag_stored_listings, migrations.RunPython.noop),
    ]
