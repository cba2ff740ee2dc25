"""How erasing a member treats each model of members, core and the libraries members installs
(members.gdpr.gdpr_model_covered; rewards declares its own in rewards/integrations.py).
`register()` is called from MembersConfig.ready()."""

from __future__ import annotations

from members.gdpr import gdpr_model_covered

ERASE = "members.services.gdpr.member_erase"

COVERAGE = {
    # Django and the libraries
    "admin.LogEntry": f"{ERASE} renames the history of the member and their login; the staff "
    "user who made a change is staff, not the member",
    "account.EmailAddress": f"{ERASE} deletes the login's addresses (_user_anonymise)",
    "mfa.Authenticator": f"{ERASE} deletes the login's authenticators (_user_anonymise)",
    "authtoken.Token": f"{ERASE} deletes the login's API tokens (_user_anonymise)",
    # core
    "core.AuditLogEntry": f"{ERASE} renames entries by and about the member, scrubs details that "
    "name them and clears the IP addresses of their login's entries",
    "core.IdempotencyKey": f"{ERASE} scrubs stored responses that name the member and all of "
    "their own login's (the key stays, so a retry replays instead of writing again)",
    "core.DashboardTileData": "the dashboard's figures: counts and sums over the club, no "
    "member's data",
    "core.OutgoingEmail": f"{ERASE} deletes e-mail to or from the member's addresses "
    "(core.email.outgoing_emails_forget)",
    # members
    "members.User": f"{ERASE} anonymises the member's login; staff logins are not members",
    "members.Store": "a store's own address, not a person's",
    "members.Member": f"{ERASE} clears every personal field and replaces the number",
    "members.ConsentEvent": f"{ERASE} withdraws every consent and clears the IP addresses; the "
    "events stay as proof of what was agreed, pseudonymous once the member is erased",
    "members.Purchase": "kept for the books (amounts, dates, stores), linked to the erased row "
    "by id only",
    "members.MemberScore": "scores computed from purchases, pseudonymous once the member is "
    "erased; recomputed by member_scores_compute",
    "members.Segment": "segment rules and the staff user who wrote them: no member's data",
    "members.SegmentSnapshot": "which member ids matched a segment at a moment, for campaigns' "
    "proof; ids only, pseudonymous once the member is erased",
    "members.MemberImport": f"{ERASE} empties uploaded files that name the member and scrubs "
    "their error messages",
}


def register() -> None:
    for label, how in COVERAGE.items():
        gdpr_model_covered(label, how)
