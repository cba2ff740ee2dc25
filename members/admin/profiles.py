"""Admin for member profiles, stores, interests and the consent texts and log.

Members are saved through members.services.profiles (the form validates with the same rules
first, so errors show next to the fields); consent texts only grow by new versions; the consent
log is read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from members.admin.gdpr import MemberDataAdminMixin
from members.admin.member360 import Member360AdminMixin
from members.admin.purchases import MemberScoreInline
from members.models import ConsentEvent, ConsentText, Interest, Member, Store
from members.selectors.field_access import ALL_FIELDS as ALL_MEMBER_FIELDS
from members.selectors.field_access import member_fields_visible
from members.services.consent import consent_text_publish
from members.services.profiles import (
    MEMBER_UPDATABLE_FIELDS,
    member_clean_fields,
    member_create,
    member_update,
)

# Fields the member form edits; all go through member_create / member_update.
_FORM_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "postcode",
    "city",
    "language",
    "preferred_store",
    "interests",
    "source",
    "status",
    "staff_contact",
    "notes",
]


class MemberAdminForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = _FORM_FIELDS

    def clean(self):
        cleaned = super().clean()
        values = {
            name: cleaned[name]
            for name in _FORM_FIELDS
            if name in cleaned and name in self.fields and not self.fields[name].disabled
        }
        if self.instance.pk is None:
            values.pop("status", None)
        else:
            values.pop("source", None)
        try:
            normalised = member_clean_fields(
                member=self.instance if self.instance.pk else None, fields=values
            )
        except ValidationError as error:
            self.add_error(None, error)
            return cleaned
        cleaned.update(normalised)
        return cleaned

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and "source" in self.fields:
            self.fields["source"].initial = Member.Source.STORE


@admin.register(Member)
class MemberAdmin(Member360AdminMixin, MemberDataAdminMixin, admin.ModelAdmin):
    form = MemberAdminForm
    list_display = [
        "number",
        "display_name",
        "email",
        "city",
        "status",
        "joined_at",
        "member_360_link",
    ]
    list_display_links = ["number", "display_name"]
    search_fields = ["=number", "first_name", "last_name", "email", "phone"]
    search_help_text = _("Membership number, name, e-mail or phone.")
    list_filter = [
        "status",
        "source",
        "language",
        ("preferred_store", admin.RelatedOnlyFieldListFilter),
        "interests",
        ("joined_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["preferred_store"]
    list_per_page = 50
    show_full_result_count = False
    date_hierarchy = None
    ordering = ["-joined_at", "-id"]
    autocomplete_fields = ["preferred_store"]
    filter_horizontal = ["interests"]
    readonly_fields = ["number", "user", "joined_at", "updated_at", "erased_at"]
    inlines = [MemberScoreInline]  # read-only scores, from admin/purchases.py
    fieldsets = [
        (None, {"fields": ["number", "user", "status", "source"]}),
        (
            _("Profile"),
            {
                "fields": [
                    ("first_name", "last_name"),
                    "email",
                    "phone",
                    "birth_date",
                    ("postcode", "city"),
                    "language",
                    "preferred_store",
                    "interests",
                ]
            },
        ),
        (_("Staff"), {"fields": ["staff_contact", "notes"]}),
        (_("Dates"), {"fields": ["joined_at", "updated_at", "erased_at"]}),
    ]

    @admin.display(description=_("name"), ordering="last_name")
    def display_name(self, member: Member) -> str:
        return member.full_name or "—"

    @admin.display(description=_("name"))
    def forum_name(self, member: Member) -> str:
        return member.display_name

    # --- Each role sees the fields its job needs (members.selectors.field_access) ----------------
    # The admin's own field names map onto the API's: "user" (the login) is contact detail, the
    # list's name column is the whole name only for those who may see it.
    _ADMIN_FIELD_ACCESS = {"user": "has_login", "erased_at": "status", "updated_at": "updated_at"}

    def _visible(self, request: HttpRequest) -> frozenset[str]:
        return member_fields_visible(user=request.user)

    def _shows(self, request: HttpRequest, name: str) -> bool:
        name = self._ADMIN_FIELD_ACCESS.get(name, name)
        return name not in ALL_MEMBER_FIELDS or name in self._visible(request)

    def get_fieldsets(self, request: HttpRequest, obj: Member | None = None):
        fieldsets = []
        for title, options in super().get_fieldsets(request, obj):
            fields = []
            for entry in options["fields"]:
                if isinstance(entry, (tuple, list)):
                    kept = tuple(name for name in entry if self._shows(request, name))
                    if kept:
                        fields.append(kept if len(kept) > 1 else kept[0])
                elif self._shows(request, entry):
                    fields.append(entry)
            if fields:
                fieldsets.append((title, {**options, "fields": fields}))
        return fieldsets

    def get_list_display(self, request: HttpRequest):
        columns = []
        for name in super().get_list_display(request):
            if name == "display_name" and not self._shows(request, "last_name"):
                columns.append("forum_name")
            elif name == "member_360_link" and not self.member_360_allowed(request):
                continue
            elif self._shows(request, name):
                columns.append(name)
        return columns

    def get_list_display_links(self, request: HttpRequest, list_display):
        return [name for name in ("number", "display_name", "forum_name") if name in list_display]

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        member = super().get_object(request, object_id, from_field)
        if member is not None and not self._shows(request, "last_name"):
            member.label_without_contact = True  # its title and breadcrumbs: display name only
        return member

    def get_changelist_instance(self, request: HttpRequest):
        changelist = super().get_changelist_instance(request)
        if not self._shows(request, "email"):
            changelist.search_help_text = _("Membership number.")
        return changelist

    def get_search_fields(self, request: HttpRequest):
        if not self._shows(request, "email"):
            return ["=number"]
        return super().get_search_fields(request)

    def get_list_filter(self, request: HttpRequest):
        return [
            entry
            for entry in super().get_list_filter(request)
            if self._shows(request, entry[0] if isinstance(entry, tuple) else entry)
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Member | None = None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("source")
            if obj.status == Member.Status.ERASED:
                readonly += [name for name in _FORM_FIELDS if name not in readonly]
        else:
            readonly.append("status")
        return readonly

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status":
            kwargs["choices"] = [
                (value, label)
                for value, label in Member.Status.choices
                if value != Member.Status.ERASED
            ]
        if db_field.name == "source":
            kwargs["choices"] = [
                (value, label) for value, label in Member.Source.choices if value != "portal"
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Member]:
        return super().get_queryset(request).select_related("preferred_store", "staff_contact")

    def save_model(self, request: HttpRequest, obj: Member, form, change: bool) -> None:
        data = {
            name: form.cleaned_data[name]
            for name in _FORM_FIELDS
            if name in form.cleaned_data and not form.fields[name].disabled
        }
        if change:
            stored = Member.objects.get(pk=obj.pk)
            changes = {
                name: value
                for name, value in data.items()
                if name in MEMBER_UPDATABLE_FIELDS and name in form.changed_data
            }
            if changes:
                member_update(member=stored, actor=request.user, request=request, **changes)
        else:
            data.pop("status", None)
            member = member_create(actor=request.user, request=request, **data)
            obj.pk = member.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # Interests were set by the service; only inlines (none today) are saved here.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request: HttpRequest, obj: Member | None = None) -> bool:
        # Members are erased (GDPR), never deleted: their purchases stay for the books.
        return False


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "is_online", "is_active"]
    list_filter = ["is_online", "is_active", "city"]
    search_fields = ["code", "name", "city"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(Interest)
class InterestAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class ConsentTextAddForm(forms.ModelForm):
    class Meta:
        model = ConsentText
        fields = ["purpose", "text_sv", "text_en"]


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    """Add-only: a new wording is a new version; a text members agreed to is never edited."""

    form = ConsentTextAddForm
    list_display = ["purpose", "version", "published_at", "short_text"]
    list_filter = ["purpose"]
    ordering = ["purpose", "-version"]

    @admin.display(description=_("text (English)"))
    def short_text(self, text: ConsentText) -> str:
        return text.text_en[:80] + ("…" if len(text.text_en) > 80 else "")

    def get_fields(self, request: HttpRequest, obj: ConsentText | None = None):
        if obj is None:
            return ["purpose", "text_sv", "text_en"]
        return ["purpose", "version", "published_at", "text_sv", "text_en"]

    def get_readonly_fields(self, request: HttpRequest, obj: ConsentText | None = None):
        if obj is None:
            return []
        return ["purpose", "version", "published_at", "text_sv", "text_en"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ConsentText, form, change: bool) -> None:
        text = consent_text_publish(
            purpose=form.cleaned_data["purpose"],
            text_sv=form.cleaned_data["text_sv"],
            text_en=form.cleaned_data["text_en"],
            actor=request.user,
        )
        obj.pk = text.pk
        obj.refresh_from_db()


@admin.register(ConsentEvent)
class ConsentEventAdmin(admin.ModelAdmin):
    """The consent log, read-only: who granted or withdrew what, when, from where, which text."""

    list_display = ["created_at", "member", "purpose", "granted", "text", "source", "actor"]
    list_filter = ["purpose", "granted", "source", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=member__number", "member__email"]
    list_select_related = ["member", "text", "actor"]
    show_full_result_count = False
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
