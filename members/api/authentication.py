"""Token authentication for the API: the token's login and its member in one plain query."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from core.api.throttling import authentication_failure_record, authentication_failures_check
from core.db import fetch_joined, model_columns
from members.models import Member, User


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's TokenAuthentication (`Authorization: Token <key>`), with the token, its user and the
    user's member read by one plain join instead of ORM queries compiled on every request: the
    API's writes (a redemption among them) pay for authentication on each call. The member is
    left in the user's `member` cache, where `member_for_login` finds it."""

    def authenticate(self, request):
        # Only requests that carry a token are counted: a wrong one counts against the client's
        # address, and past the rate no token from there is looked at (429) until the window ends.
        auth = authentication.get_authorization_header(request).split()
        if not auth or auth[0].lower() != self.keyword.lower().encode():
            return None
        authentication_failures_check(request)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            authentication_failure_record(request)
            raise

    def authenticate_credentials(self, key):
        found = fetch_joined(
            f"SELECT {model_columns(User, 'u')}, {model_columns(Member, 'm')} "  # noqa: S608 - names from _meta, value bound
            f"FROM {Token._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
            f"LEFT JOIN {Member._meta.db_table} m ON m.user_id = u.id WHERE t.key = %s",
            [key],
            [User, Member],
        )
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user, member = found[0]
        assert isinstance(user, User)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # user.member without a query (None: the login has no membership), and member.user back.
        User.member.related.set_cached_value(user, member)
        if member is not None:
            Member.user.field.set_cached_value(member, user)
        # The token as loaded from the database; its `created`, which authentication never reads,
        # is deferred (read on first access).
        token = Token.from_db(user._state.db, ["key", "user_id"], [key, user.pk])
        token.user = user
        return user, token
