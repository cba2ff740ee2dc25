from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Store
from rewards.models import Redemption, Reward


class CatalogueFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Reward.Kind.choices], required=False
    )
    max_cost = forms.IntegerField(label=_("At most (points)"), min_value=0, required=False)
    affordable = forms.BooleanField(label=_("Only what I can afford now"), required=False)


class RedeemForm(forms.Form):
    """The confirmation step; the key makes a double submit redeem once. For a physical reward
    it also asks how the member wants it: by post (address pre-filled) or picked up in a store.
    The delivery fields are not required here: the service says what is missing, in words."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    delivery = forms.ChoiceField(
        label=_("How do you want to get it?"),
        choices=[
            (Redemption.Delivery.POST, _("Send it to me by post")),
            (Redemption.Delivery.PICKUP, _("I pick it up in a store")),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    delivery_name = forms.CharField(
        label=_("Name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    delivery_address = forms.CharField(
        label=_("Street address"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    delivery_postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    delivery_city = forms.CharField(
        label=_("City"),
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    pickup_store = forms.ModelChoiceField(
        label=_("Store"),
        queryset=Store.objects.filter(is_active=True, is_online=False).order_by("name"),
        required=False,
        empty_label=_("Choose a store"),
    )
