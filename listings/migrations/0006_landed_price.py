"""Landed prices: a per-card price now includes shipping, and a flag says when shipping is unknown.

Stored rows are rewritten here, so every price is on the new basis as soon as the migration ends;
stored rankings follow with `manage.py recompute_rankings` (the deploy runs it after migrate).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations, models

CENT = Decimal("0.01")
BATCH = 2000


def landed_prices(apps, schema_editor):
    """The same arithmetic as listings.summaries.landed_unit_price, frozen for this migration."""
    Listing = apps.get_model("listings", "Listing")
    rows = Listing.objects.filter(price__isnull=False).values_list(
        "pk", "price", "shipping_cost", "quantity", "unit_price", "raw"
    )
    changed = []
    for pk, price, shipping, quantity, unit_price, raw in rows.iterator(chunk_size=BATCH):
        options = (raw or {}).get("shippingOptions") or [{}]
        first = options[0] if isinstance(options[0], dict) else {}
        if str(first.get("shippingCostType") or "").upper() == "CALCULATED":
            shipping = None
        landed = price + (shipping if shipping is not None else Decimal("0"))
        landed = (landed / max(1, quantity)).quantize(CENT, rounding=ROUND_HALF_UP)
        landed = landed if landed > 0 else unit_price
        changed.append(
            Listing(pk=pk, shipping_cost=shipping, shipping_known=shipping is not None,
                    unit_price=landed if unit_price is not None else None)
        )
        if len(changed) >= BATCH:
            Listing.objects.bulk_update(changed, ["shipping_cost", "shipping_known", "unit_price"])
            changed = []
    if changed:
        Listing.objects.bulk_update(changed, ["shipping_cost", "shipping_known", "unit_price"])


class Migration(migrations.Migration):
    dependencies = [
        ("listings", "0005_refresh_run_checks_sign_in_failures"),
    ]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="shipping_known",
            field=models.BooleanField(
                default=False,
                help_text="False when shipping is calculated at checkout or not stated: the price "
                "per card is then the item price alone.",
            ),
        ),
        migrations.AlterField(
            model_name="listing",
            name="unit_price",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Landed price per card: (price + shipping) / quantity.",
                max_digits=12,
                null=True,
            ),
        ),
        migrations.RunPython(landed_prices, migrations.RunPython.noop, elidable=True),
    ]
