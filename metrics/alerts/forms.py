"""The alert forms: the subscription (card, address, target price per card, condition) and the
change of an alert's target and condition on its manage page."""

from django import forms

from catalog.models import FormFactor, Gpu
from listings.shop.form import TypedDecimalField
from metrics.models import Scope

MAX_TARGET = 10_000_000  # dollars per card: above any card's price, within the column


class ChangeAlertForm(forms.Form):
    target_price = TypedDecimalField(
        label="Target price per card (USD)",
        min_value=1,
        max_value=MAX_TARGET,
        max_digits=12,
        decimal_places=2,
    )
    condition = forms.ChoiceField(choices=Scope.choices, initial=Scope.ALL)


class AlertForm(ChangeAlertForm):
    gpu = forms.ModelChoiceField(
        queryset=Gpu.objects.exclude(form_factor=FormFactor.LAPTOP).only("id", "slug", "label"),
        to_field_name="slug",
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "No such card."},
    )
    email = forms.EmailField(max_length=254, label="Email")

    field_order = ["gpu", "email", "target_price", "condition"]
