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
