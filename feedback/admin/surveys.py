"""Surveys with their questions, a results page (NPS trend with its confidence interval,
distribution per question, response rate per channel) and the answers as CSV."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from feedback.models import Answer, Question, Response, Survey
from feedback.selectors.results import survey_results
from members.csvutil import csv_response


class QuestionInline(admin.StackedInline):
    model = Question
    fk_name = "survey"
    extra = 0
    fieldsets = [
        (None, {"fields": [("order", "kind", "required"), ("text_sv", "text_en")]}),
        (_("Choices"), {"fields": [("choices_sv", "choices_en")], "classes": ["collapse"]}),
        (
            _("Condition"),
            {
                "fields": [
                    "condition_question",
                    ("condition_min", "condition_max"),
                    "condition_choices",
                ],
                "classes": ["collapse"],
            },
        ),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "condition_question":
            survey_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Question.objects.filter(survey_id=survey_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = [
        "title_sv",
        "status",
        "anonymous",
        "in_portal",
        "trigger",
        "answers",
        "nps_display",
        "results_link",
    ]
    list_filter = ["status", "anonymous", "in_portal", "trigger"]
    search_fields = ["title_sv", "title_en"]
    inlines = [QuestionInline]
    fieldsets = [
        (None, {"fields": [("title_sv", "title_en"), ("intro_sv", "intro_en"), "status"]}),
        (
            _("Who answers and how"),
            {
                "fields": [
                    ("anonymous", "in_portal", "earns_points"),
                    ("trigger", "trigger_days"),
                    "resurvey",
                    "closes_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                answer_count=Count("responses", distinct=True),
                promoters=Count("responses", filter=Q(responses__nps__gte=9), distinct=True),
                detractors=Count("responses", filter=Q(responses__nps__lte=6), distinct=True),
                nps_answers=Count(
                    "responses", filter=Q(responses__nps__isnull=False), distinct=True
                ),
            )
        )

    @admin.display(description=_("answers"), ordering="answer_count")
    def answers(self, obj: Survey) -> int:
        return obj.answer_count  # type: ignore[attr-defined]

    @admin.display(description=_("NPS"))
    def nps_display(self, obj: Survey) -> str:
        n = obj.nps_answers  # type: ignore[attr-defined]
        if not n:
            return "—"
        return f"{round(100 * (obj.promoters - obj.detractors) / n):+d}"  # type: ignore[attr-defined]

    @admin.display(description=_("results"))
    def results_link(self, obj: Survey) -> str:
        url = reverse("admin:feedback_survey_results", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Results"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/results/", view(self.results_view), name="feedback_survey_results"),
            path("<int:pk>/answers.csv", view(self.answers_csv), name="feedback_survey_csv"),
            *super().get_urls(),
        ]

    def results_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        survey = get_object_or_404(Survey, pk=pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "survey": survey,
            "title": _("Results: %(survey)s") % {"survey": survey.title},
            **survey_results(survey=survey),
        }
        return TemplateResponse(request, "admin/feedback/survey_results.html", context)

    def answers_csv(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        survey = get_object_or_404(Survey, pk=pk)
        questions = list(survey.questions.order_by("order", "pk"))
        answers: dict[tuple[int, int], Answer] = {}
        responses = list(
            Response.objects.filter(survey=survey)
            .select_related("member", "store")
            .order_by("submitted_at", "pk")
        )
        for answer in Answer.objects.filter(response__survey=survey):
            answers[(answer.response_id, answer.question_id)] = answer

        def cell(question: Question, answer: Answer | None) -> object:
            if answer is None:
                return ""
            if question.kind == Question.Kind.MULTIPLE:
                labels = question.choices
                return "; ".join(labels[i - 1] for i in answer.choices if 0 < i <= len(labels))
            if question.kind == Question.Kind.SINGLE:
                labels = question.choices
                return labels[answer.number - 1] if answer.number else ""
            if question.kind == Question.Kind.TEXT:
                return answer.text
            return answer.number

        header = [_("submitted"), _("member number"), _("tier"), _("store"), _("channel")]
        header += [q.text for q in questions]
        rows = (
            [
                r.submitted_at,
                r.member.number if r.member else "",
                r.tier,
                r.store.name if r.store else "",
                r.get_channel_display(),
                *[cell(q, answers.get((r.pk, q.pk))) for q in questions],
            ]
            for r in responses
        )
        return csv_response(f"survey-{survey.pk}-answers.csv", header, rows)


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    can_delete = False
    fields = ["question", "number", "choices", "text"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["submitted_at", "survey", "member", "nps", "csat", "tier", "store", "channel"]
    list_filter = ["survey", "channel", "tier", "store"]
    list_select_related = ["survey", "member", "store"]
    date_hierarchy = "submitted_at"
    search_fields = ["member__number", "member__email"]
    inlines = [AnswerInline]
    readonly_fields = [
        "survey",
        "invitation",
        "member",
        "submitted_at",
        "nps",
        "csat",
        "tier",
        "store",
        "channel",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
