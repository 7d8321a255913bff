"""A card's stored headline prices as the going rates shop pages compare listings with."""

from listings.market import GoingRates
from metrics.models import CardPrice, Scope


def read_going_rates(*, gpu_id: int) -> GoingRates:
    """The CardPrice rows of one card (one query)."""
    rows = CardPrice.objects.filter(gpu_id=gpu_id).values_list(
        "scope", "headline_price", "priced_count"
    )
    found = {scope: (price, count) for scope, price, count in rows}
    any_, new, used = (found.get(s, (None, 0)) for s in (Scope.ALL, Scope.NEW, Scope.USED))
    return GoingRates(
        any=any_[0],
        new=new[0],
        used=used[0],
        any_count=any_[1],
        new_count=new[1],
        used_count=used[1],
    )
