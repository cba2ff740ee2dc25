"""Forms of the events admin pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from events.models import Event
from members.models import Member, Segment
from rewards.models import Tier


class InviteForm(forms.Form):
    tiers = forms.ModelMultipleChoiceField(
        label=_("Tiers"), queryset=Tier.objects.order_by("order"), required=False
    )
    segment = forms.ModelChoiceField(
        label=_("Segment"), queryset=Segment.objects.order_by("name"), required=False
    )

    def clean(self):
        data = super().clean()
        if not data.get("tiers") and not data.get("segment"):
            raise forms.ValidationError(_("Choose tiers or a segment to invite."))
        return data


class StaffRegisterForm(forms.Form):
    member = forms.CharField(label=_("Membership number or e-mail address"), max_length=254)
    guests = forms.IntegerField(label=_("Guests"), min_value=0, initial=0)

    def clean_member(self):
        value = self.cleaned_data["member"].strip()
        member = (
            Member.objects.not_erased().filter(number=value).first()
            or Member.objects.not_erased().filter(email__iexact=value).first()
        )
        if member is None:
            raise forms.ValidationError(_("No member has this number or e-mail address."))
        return member


class SeriesForm(forms.ModelForm):
    first_date = forms.DateField(
        label=_("First date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    start_time = forms.TimeField(
        label=_("Starts at"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(label=_("Ends at"), widget=forms.TimeInput(attrs={"type": "time"}))
    every_weeks = forms.IntegerField(label=_("Every … weeks"), min_value=1, max_value=52, initial=1)
    count = forms.IntegerField(label=_("Number of events"), min_value=1, max_value=104, initial=10)

    class Meta:
        model = Event
        fields = [
            "title_sv",
            "title_en",
            "description_sv",
            "description_en",
            "venue",
            "address",
            "city",
            "online_url",
            "capacity",
            "guests_allowed",
            "eligibility",
            "tiers",
            "segment",
            "points_price",
            "attendance_points",
            "waitlist_mode",
            "offer_hours",
            "reminder_hours",
            "status",
        ]
        field_classes = {"online_url": forms.URLField}
        widgets = {"online_url": forms.URLInput}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["online_url"] = forms.URLField(
            label=self.fields["online_url"].label, required=False, assume_scheme="https"
        )

    def _post_clean(self):  # the service checks each event; there is no single instance
        pass
