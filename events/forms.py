"""Forms of the events portal and the staff pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class EventFilterForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    city = forms.ChoiceField(label=_("Place"), required=False)

    def __init__(self, *args, cities: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["city"].choices = [("", _("All places")), *[(c, c) for c in cities]]


class RegisterForm(forms.Form):
    guests = forms.IntegerField(label=_("Guests"), min_value=0, initial=0, required=False)

    def __init__(self, *args, guests_allowed: int = 0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["guests"].max_value = guests_allowed
        self.fields["guests"].widget.attrs.update({"min": 0, "max": guests_allowed})
