"""The club's own pages (membership terms, privacy notice), edited by staff (issue 11)."""

from django.contrib import admin

from members.models import ClubPage


@admin.register(ClubPage)
class ClubPageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "title_sv", "title_en", "updated_at"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (None, {"fields": ["kind", "updated_at"]}),
        ("Svenska", {"fields": ["title_sv", "body_sv"]}),
        ("English", {"fields": ["title_en", "body_en"]}),
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Sign-up links to both pages: they are changed, never removed.
        return False
