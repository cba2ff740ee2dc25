from django import forms
from django.utils.translation import gettext_lazy as _

from rewards.models import Reward


class CatalogueFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Reward.Kind.choices], required=False
    )
    max_cost = forms.IntegerField(label=_("At most (points)"), min_value=0, required=False)
    affordable = forms.BooleanField(label=_("Only what I can afford now"), required=False)


class RedeemForm(forms.Form):
    """The confirmation step; the key makes a double submit redeem once."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
