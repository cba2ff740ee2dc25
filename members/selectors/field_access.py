"""Which member fields a staff login or integration may see: each role only what its job needs.

Reading members at all needs ``members.view_member``, which shows a member's number, display
name (first name and the initial of the last), status and join date: enough for a moderator to
know who wrote a post. Every other field belongs to a permission that names its purpose, granted
to the roles whose work needs it (members/migrations/0009_member_field_permissions.py):

- view_member_contact (first_name, last_name, email, phone, has_login): store staff,
  marketer, club admin;
- view_member_profile (language, preferred_store, interests, source, updated_at): store staff,
  marketer, club admin;
- view_member_personal (birth_date, postcode, city): marketer, club admin;
- view_member_notes (staff_contact, notes): club admin.

The API's member serializers and the member admin read this one map, and staff search matches
names, e-mail and phone only for those who may see them. Writing stays with add_member and
change_member: store staff enrol a member at the till with the birth date and postcode the member
tells them, without being able to list everyone's.
"""

from __future__ import annotations

BASE_FIELDS = frozenset({"number", "display_name", "status", "joined_at"})

FIELDS_BY_PERMISSION: dict[str, frozenset[str]] = {
    "members.view_member_contact": frozenset(
        {"first_name", "last_name", "email", "phone", "has_login"}
    ),
    "members.view_member_profile": frozenset(
        {"language", "preferred_store", "interests", "source", "updated_at"}
    ),
    "members.view_member_personal": frozenset({"birth_date", "postcode", "city"}),
    "members.view_member_notes": frozenset({"staff_contact", "notes"}),
}

ALL_FIELDS = BASE_FIELDS.union(*FIELDS_BY_PERMISSION.values())


def member_fields_visible(*, user) -> frozenset[str]:
    """The member fields `user` may see (nothing without members.view_member)."""
    if user is None or not user.is_active or not user.has_perm("members.view_member"):
        return frozenset()
    visible = set(BASE_FIELDS)
    for permission, fields in FIELDS_BY_PERMISSION.items():
        if user.has_perm(permission):
            visible |= fields
    return frozenset(visible)


def member_search_by_contact_allowed(*, user) -> bool:
    """Whether a staff search may match names, e-mail and phone (else only the number)."""
    return "email" in member_fields_visible(user=user)
