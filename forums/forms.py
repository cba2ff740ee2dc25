"""Forum forms: light shape checks only; the services decide and explain (their refusals are
attached to the form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from forums.models import Flag, Topic

BODY_MAX = 1_100_000  # far above any allowed post: the service says how long a post may be


class ForumForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class BodyField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Your text"))
        kwargs.setdefault(
            "help_text", _("Markdown: **bold**, *italic*, [link](https://…), > quote, @name.")
        )
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8}))
        super().__init__(max_length=BODY_MAX, strip=False, required=False, **kwargs)


class TopicForm(ForumForm):
    category = forms.ChoiceField(label=_("Category"))
    kind = forms.ChoiceField(
        label=_("This is a"), choices=Topic.Kind.choices, initial=Topic.Kind.QUESTION
    )
    title = forms.CharField(label=_("Title"), max_length=1000, required=False, strip=False)
    body = BodyField()

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {c.slug: c for c in categories}
        self.fields["category"].choices = [(c.slug, c.name) for c in categories]


class ReplyForm(ForumForm):
    body = BodyField()


class EditForm(ForumForm):
    title = forms.CharField(label=_("Title"), max_length=1000, required=False, strip=False)
    body = BodyField()
    reason = forms.CharField(label=_("Why the change (optional)"), max_length=300, required=False)


class FlagForm(ForumForm):
    reason = forms.ChoiceField(
        label=_("Why"), choices=Flag.Reason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Anything to add (optional)"), max_length=500, required=False)


class DisplayNameForm(ForumForm):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=30,
        help_text=_("Shown instead of your name in the forums. You choose it once."),
    )


class PreferencesForm(ForumForm):
    email_on_reply = forms.BooleanField(label=_("E-mail me about replies"), required=False)
    email_on_mention = forms.BooleanField(label=_("E-mail me when mentioned"), required=False)
    email_on_accepted = forms.BooleanField(
        label=_("E-mail me when my answer is accepted"), required=False
    )


class ReasonForm(ForumForm):
    reason = forms.CharField(label=_("Reason (the member is told)"), max_length=300, required=False)


class MoveForm(ReasonForm):
    category = forms.ModelChoiceField(label=_("Move to"), queryset=None)

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories


class MergeForm(ReasonForm):
    into = forms.IntegerField(label=_("Merge into topic number"), min_value=1)


class SuspendForm(ReasonForm):
    days = forms.IntegerField(
        label=_("Days (0 lifts the suspension)"), min_value=0, max_value=3650, initial=7
    )
