"""Admin for the forums. Categories are edited here; topics, posts and profiles are shown here
and changed only through the services (moderation actions audit and tell the member). The
moderation queue (flagged and hidden posts with their reasons) lives under the posts."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from forums.models import Category, ForumProfile, Post, Topic
from forums.permissions import MODERATE_PERMISSION, viewer_for_user
from forums.selectors.topics import moderation_queue
from forums.services.moderation import expert_set, topic_pin


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "read_access", "post_access"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["read_tiers", "post_tiers"]
    search_fields = ["name", "description"]


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]  # type: ignore[attr-defined]


@admin.register(Topic)
class TopicAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "title", "category", "kind", "reply_count", "score", "is_locked", "is_pinned",
        "solved_at", "last_post_at", "portal_link",
    ]  # fmt: skip
    list_filter = ["category", "kind", "is_locked", "is_pinned", "is_hidden"]
    search_fields = ["title"]
    list_select_related = ["category"]
    date_hierarchy = "created_at"
    actions = ["pin", "unpin"]

    @admin.display(description=_("in the portal"))
    def portal_link(self, topic: Topic) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("forums:topic", args=[topic.pk]), _("open")
        )

    def _pin(self, request: HttpRequest, queryset: QuerySet[Topic], pinned: bool) -> None:
        viewer = viewer_for_user(request.user)
        try:
            for topic in queryset:
                topic_pin(viewer=viewer, topic=topic, pinned=pinned, request=request)
        except ValidationError as error:
            self.message_user(request, error.messages[0], messages.ERROR)

    @admin.action(description=_("Pin the selected topics"), permissions=["change"])
    def pin(self, request, queryset):
        self._pin(request, queryset, True)

    @admin.action(description=_("Unpin the selected topics"), permissions=["change"])
    def unpin(self, request, queryset):
        self._pin(request, queryset, False)


@admin.register(Post)
class PostAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "__str__", "author", "created_at", "is_hidden", "is_accepted", "helpful_count",
        "flag_weight",
    ]  # fmt: skip
    list_filter = ["is_hidden", "is_accepted", "language", "topic__category"]
    search_fields = ["source", "topic__title"]
    list_select_related = ["topic", "author"]
    date_hierarchy = "created_at"

    def get_urls(self):
        admin_view = self.admin_site.admin_view
        return [
            path("queue/", admin_view(self.queue_view), name="forums_moderation_queue"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "queue_url": reverse("admin:forums_moderation_queue"),
        }
        return super().changelist_view(request, extra_context)

    def queue_view(self, request: HttpRequest) -> HttpResponse:
        """Flagged posts waiting for a moderator, and hidden posts, with the reasons."""
        if not request.user.has_perm(MODERATE_PERMISSION):
            raise PermissionDenied
        posts = list(moderation_queue()[:100])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Moderation queue"),
            "posts": posts,
            "opts": self.model._meta,
            "queue_url": request.get_full_path(),
        }
        return TemplateResponse(request, "admin/forums/moderation_queue.html", context)


@admin.register(ForumProfile)
class ForumProfileAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "display_name", "member", "trust_level", "reputation", "accepted_count", "is_expert",
        "suspended_until",
    ]  # fmt: skip
    list_filter = ["trust_level", "is_expert"]
    search_fields = ["display_name", "member__email", "member__number"]
    list_select_related = ["member"]
    actions = ["appoint_expert", "remove_expert"]

    def _expert(self, request, queryset, expert: bool) -> None:
        viewer = viewer_for_user(request.user)
        try:
            for profile in queryset.select_related("member"):
                expert_set(viewer=viewer, member=profile.member, expert=expert, request=request)
        except ValidationError as error:
            self.message_user(request, error.messages[0], messages.ERROR)

    @admin.action(description=_("Appoint as forum experts"))
    def appoint_expert(self, request, queryset):
        self._expert(request, queryset, True)

    @admin.action(description=_("Remove the expert badge"))
    def remove_expert(self, request, queryset):
        self._expert(request, queryset, False)
