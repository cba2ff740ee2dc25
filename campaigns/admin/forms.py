"""Forms for the campaigns admin: the content is checked as sending will need it, at save."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Trigger, Variant
from campaigns.services.content import BLOCK_TYPES, MERGE_FIELDS, variant_check
from campaigns.smscount import SmsCounterTextarea

BLOCKS_HELP = _(
    'A list of blocks, e.g. [{"type": "heading", "text": "Hej {{ first_name }}!"}, '
    '{"type": "text", "text": "…"}, {"type": "image", "src": "https://…", "alt": "…"}, '
    '{"type": "button", "text": "…", "url": "https://…"}, {"type": "reward"}]. '
    "Block types: %(types)s. Merge fields: %(fields)s."
)


class VariantForm(forms.ModelForm):
    class Meta:
        model = Variant
        fields = [
            "name",
            "share",
            "subject_sv",
            "subject_en",
            "preheader_sv",
            "preheader_en",
            "blocks_sv",
            "blocks_en",
            "sms_text_sv",
            "sms_text_en",
            "delay_days",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        help_text = BLOCKS_HELP % {
            "types": ", ".join(BLOCK_TYPES),
            "fields": ", ".join("{{ %s }}" % name for name in MERGE_FIELDS),  # noqa: UP031
        }
        for name in ("blocks_sv", "blocks_en"):
            self.fields[name].help_text = help_text
        for name in ("sms_text_sv", "sms_text_en"):
            # The live counter of characters and SMS parts (campaigns.smscount, CSP-safe script).
            self.fields[name].widget = SmsCounterTextarea(attrs={"rows": 4})

    def clean(self):
        cleaned = super().clean()
        campaign = getattr(self.instance, "campaign", None)
        channel = campaign.channel if campaign is not None and campaign.pk else None
        channel = channel or self.data.get("channel") or Campaign.Channel.EMAIL
        candidate = Variant(**{k: v for k, v in cleaned.items() if k in self.Meta.fields})
        try:
            variant_check(variant=candidate, channel=channel)
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return cleaned


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "purpose",
            "channel",
            "segment",
            "goal_kind",
            "goal_window_days",
            "holdout_share",
            "test_share",
            "test_hours",
            "test_metric",
            "schedule",
            "send_at",
            "recur_every_days",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and not self.instance.is_editable:
            raise ValidationError(
                _("A campaign that is %(state)s cannot be edited; pause or copy it first.")
                % {"state": self.instance.get_state_display().lower()}
            )
        return cleaned


class TriggerForm(forms.ModelForm):
    class Meta:
        model = Trigger
        fields = ["name", "trigger", "trigger_days", "channel", "goal_kind", "goal_window_days"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trigger"].required = True
        self.fields["trigger"].choices = Campaign.TriggerKind.choices


class PreviewForm(forms.Form):
    member = forms.CharField(
        label=_("Member number or e-mail"),
        required=False,
        help_text=_("Empty: a sample member."),
    )
    variant = forms.ModelChoiceField(label=_("Variant"), queryset=Variant.objects.none())
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("The member's language")), ("sv", _("Swedish")), ("en", _("English"))],
    )

    def __init__(self, *args, campaign: Campaign, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["variant"].queryset = campaign.variants.order_by("name")
        first = campaign.variants.order_by("name").first()
        if first is not None:
            self.fields["variant"].initial = first.pk
