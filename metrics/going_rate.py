"""A card's stored headline prices as the going rates shop pages compare listings with."""

from listings.market import GoingRates
from metrics.models import CardPrice, Scope

ROW = ("scope", "headline_price", "priced_count")
# Rows are read into dicts by card and scope, so unordered: the model's ordering by card would
# join catalog_gpu and sort for nothing.


def read_going_rates(*, gpu_id: int) -> GoingRates:
    """The CardPrice rows of one card (one query)."""
    return _going_rates(CardPrice.objects.filter(gpu_id=gpu_id).order_by().values_list(*ROW))


def read_all_going_rates() -> dict[int, GoingRates]:
    """Every priced card's going rates by card id, read as for one card (one query)."""
    rows: dict[int, list] = {}
    for gpu_id, *row in CardPrice.objects.order_by().values_list("gpu_id", *ROW):
        rows.setdefault(gpu_id, []).append(row)
    return {gpu_id: _going_rates(found) for gpu_id, found in rows.items()}


def _going_rates(rows) -> GoingRates:
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
