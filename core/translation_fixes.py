"""django-allauth strings whose Swedish we correct or make consistent with ours ("E-post").

Listing them here puts them in our catalogue (locale/sv), which Django prefers over allauth's.
Nothing imports this module; `makemessages` reads it.
"""

from django.utils.translation import gettext_noop

ALLAUTH_FIXES = [
    # allauth's Swedish says "Already have an account? Then log in" for the sign-up hint.
    gettext_noop(
        "If you have not created an account yet, then please %(link)ssign up%(end_link)s first."
    ),
    gettext_noop("Email address"),
    gettext_noop("Email"),
    gettext_noop("Email Addresses"),
    gettext_noop("Forgot your password?"),
]

# django-celery-beat has no Swedish: its admin tables (Settings, club admins only) are named here.
CELERY_BEAT_NAMES = [
    gettext_noop("Periodic Tasks"),
    gettext_noop("periodic task"),
    gettext_noop("periodic tasks"),
    gettext_noop("periodic task track"),
    gettext_noop("periodic task tracks"),
    gettext_noop("crontab"),
    gettext_noop("crontabs"),
    gettext_noop("interval"),
    gettext_noop("intervals"),
    gettext_noop("solar event"),
    gettext_noop("solar events"),
    gettext_noop("clocked"),
    gettext_noop("Name"),
    gettext_noop("Enabled"),
    gettext_noop("Last Run Datetime"),
    gettext_noop("Total Run Count"),
    gettext_noop("Description"),
    gettext_noop("One-off Task"),
    gettext_noop("Start Datetime"),
    gettext_noop("Interval Schedule"),
    gettext_noop("Crontab Schedule"),
    gettext_noop("Last Modified"),
]
