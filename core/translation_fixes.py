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
