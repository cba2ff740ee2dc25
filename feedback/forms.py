"""The survey form, built from a survey's questions. Fields are optional at the form level: the
service checks required answers and conditions, and its refusals are put on the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.models import Question


def field_name(question: Question) -> str:
    return f"q{question.pk}"


class SurveyForm(forms.Form):
    def __init__(self, *args, questions: list[Question], initial_answers=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        initial_answers = initial_answers or {}
        for question in questions:
            name = field_name(question)
            field = self._field_for(question)
            field.required = False
            field.label = question.text
            field.question = question  # type: ignore[attr-defined]
            if question.condition_question_id:
                field.help_text = _("Answer only if it applies to your earlier answer.")
            self.fields[name] = field
            if str(question.pk) in initial_answers:
                value = initial_answers[str(question.pk)]
                self.initial[name] = [str(v) for v in value] if isinstance(value, list) else value

    def _field_for(self, question: Question) -> forms.Field:
        kind = question.kind
        if question.is_numeric:
            low, high = Question.RANGES[kind]
            choices = [(str(n), str(n)) for n in range(low, high + 1)]
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect)
        numbered = [(str(i), label) for i, label in enumerate(question.choices, start=1)]
        if kind == Question.Kind.SINGLE:
            return forms.ChoiceField(choices=numbered, widget=forms.RadioSelect)
        if kind == Question.Kind.MULTIPLE:
            return forms.MultipleChoiceField(choices=numbered, widget=forms.CheckboxSelectMultiple)
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "maxlength": 5000}))

    def raw_answers(self) -> dict[int, Any]:
        """The submitted values by question id, as the service reads them."""
        raw: dict[int, Any] = {}
        for question in self.questions:
            name = field_name(question)
            if question.kind == Question.Kind.MULTIPLE:
                raw[question.pk] = self.data.getlist(name)
            else:
                raw[question.pk] = self.data.get(name, "")
        return raw

    def add_service_errors(self, error) -> None:
        if hasattr(error, "error_dict"):
            for key, errors in error.error_dict.items():
                self.add_error(key if key in self.fields else None, errors)
        else:
            self.add_error(None, error)


class CaseCloseForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required: what you did for the member, for the record."),
    )
    resurvey = forms.BooleanField(label=_("Ask the member 'did we fix it?'"), required=False)


class SuggestionFilterForm(forms.Form):
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[("trending", _("Trending")), ("votes", _("Most votes")), ("newest", _("Newest"))],
    )
    topic = forms.ChoiceField(label=_("Topic"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, **kwargs) -> None:
        from feedback.models import Suggestion

        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", _("All topics")), *Suggestion.Topic.choices]
        self.fields["status"].choices = [("", _("All open and closed")), *Suggestion.Status.choices]


class SuggestionForm(forms.Form):
    title = forms.CharField(label=_("Your idea in one line"), max_length=140)
    topic = forms.ChoiceField(label=_("What is it about?"))
    body = forms.CharField(
        label=_("Tell us more"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown works: **bold**, *italic*, lists and links."),
    )

    def __init__(self, *args, **kwargs) -> None:
        from feedback.models import Suggestion

        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = Suggestion.Topic.choices


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


def add_service_errors(form: forms.Form, error) -> None:
    """Put a service's ValidationError on the form's fields (or the form)."""
    if hasattr(error, "error_dict"):
        for key, errors in error.error_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, error)


class ConversationForm(forms.Form):
    topic = forms.ChoiceField(label=_("What is it about?"))
    subject = forms.CharField(label=_("Subject"), max_length=140)
    body = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 6}))
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("A picture or a PDF, for example a receipt, at most 5 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif,application/pdf"}
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        from feedback.models import Conversation

        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = Conversation.Topic.choices


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 4}))
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("A picture or a PDF, at most 5 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif,application/pdf"}
        ),
    )
