"""Card prices count every listing shown (auctions and flagged ones too) beside the ones the going
rate is made of, and a card whose listings are all auctions or flagged has a row without a price.

Stored rows were made of priced listings only, so their priced count is their listing count;
`manage.py recompute_rankings` rewrites them under the new rule.
"""

from django.db import migrations, models
from django.db.models import F


def priced_as_listed(apps, schema_editor):
    apps.get_model("metrics", "CardPrice").objects.update(priced_count=F("listing_count"))


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0010_gpu_form_factor_cooling_devices_backend'),
        ('metrics', '0009_card_price_per_l2_cache_and_shared_memory'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='cardprice',
            name='card_price_positive',
        ),
        migrations.RemoveConstraint(
            model_name='cardprice',
            name='card_price_has_listings',
        ),
        migrations.AddField(
            model_name='cardprice',
            name='priced_count',
            field=models.PositiveIntegerField(default=0, help_text='Fixed-price listings without a flag: what the going rate is made of.'),
        ),
        migrations.RunPython(priced_as_listed, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='cardprice',
            name='headline_price',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, verbose_name='going rate'),
        ),
        migrations.AlterField(
            model_name='cardprice',
            name='listing_count',
            field=models.PositiveIntegerField(help_text='Listings shown, auctions included.'),
        ),
        migrations.AlterField(
            model_name='cardprice',
            name='lowest_price',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, verbose_name='from price'),
        ),
        migrations.AddConstraint(
            model_name='cardprice',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('headline_price__isnull', True), ('lowest_price__isnull', True), ('priced_count', 0)), models.Q(('headline_price__gt', 0), ('lowest_price__gt', 0), ('priced_count__gte', 1)), _connector='OR'), name='card_price_priced'),
        ),
        migrations.AddConstraint(
            model_name='cardprice',
            constraint=models.CheckConstraint(condition=models.Q(('listing_count__gte', 1), ('listing_count__gte', models.F('priced_count'))), name='card_price_has_listings'),
        ),
    ]
