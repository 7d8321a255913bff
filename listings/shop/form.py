"""The shop page's GET form: filters and sorts, each checked on its own."""

from django import forms
from django.core.exceptions import ValidationError

from catalog.presentation import typed_number
from catalog.specs import Spec
from listings.models import ConditionKind

BUYING_OPTIONS = [
    ("", "Any"),
    ("buy_now", "Buy it now"),
    ("auction", "Auction"),
    ("best_offer", "Accepts offers"),
]

BUYING_FILTERS = {
    "buy_now": "is_buy_now",
    "auction": "is_auction",
    "best_offer": "accepts_best_offer",
}

SHOWN_CONDITIONS = [c for c in ConditionKind.choices if c[0] != ConditionKind.PARTS]


class TypedNumbers:
    """A number field that takes only what catalog.presentation.typed_number does: ASCII digits
    and thousands commas, not "٨١٩٢", "8_192", "1e3" or "nan"."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = typed_number(str(value))
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(number)


class TypedDecimalField(TypedNumbers, forms.DecimalField):
    pass


class TypedFloatField(TypedNumbers, forms.FloatField):
    pass


class ShopFilterForm(forms.Form):
    """The shop page's GET form: a field that fails validation is dropped, the rest still apply."""

    sort = forms.ChoiceField(required=False)
    condition = forms.MultipleChoiceField(
        required=False, choices=SHOWN_CONDITIONS, widget=forms.CheckboxSelectMultiple
    )
    buying = forms.ChoiceField(required=False, choices=BUYING_OPTIONS, label="Buying option")
    country = forms.ChoiceField(required=False, label="Ships from")
    price_min = TypedDecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    price_max = TypedDecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    memory_min = TypedFloatField(required=False, min_value=0, max_value=10_000)
    memory_max = TypedFloatField(required=False, min_value=0, max_value=10_000)
    feedback_min = TypedFloatField(
        required=False, min_value=0, max_value=100, label="Seller feedback at least (%)"
    )

    def __init__(self, *args, specs: list[Spec], countries: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sort"].choices = [
            ("price", "Price per card: low to high"),
            ("deal", "Best deals: furthest below the going rate"),
            ("-price", "Price per card: high to low"),
            ("newest", "Newest listings first"),
        ] + [(s.key, f"$ per {s.unit}: lowest first") for s in specs]
        self.fields["country"].choices = [("", "Anywhere")] + [(c, c) for c in countries]

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            # One rule on every page and the JSON API: a value given twice is ignored, not the last.
            if isinstance(field, forms.MultipleChoiceField) or not hasattr(self.data, "getlist"):
                continue
            if len([v for v in self.data.getlist(name) if v.strip()]) > 1 and name in data:
                self.add_error(name, "given more than once")
        for low, high in (("price_min", "price_max"), ("memory_min", "memory_max")):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, "is below the minimum")
        return data

    def applied(self) -> dict:
        """The valid, non-empty values; invalid ones are reported by ignored_notes()."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.errors and value not in (None, "", [])
        }

    def ignored_notes(self) -> list[str]:
        return [
            f"Ignored {self.fields[name].label or name.replace('_', ' ')}: {' '.join(errors)}"
            for name, errors in self.errors.items()
            if name in self.fields
        ]
