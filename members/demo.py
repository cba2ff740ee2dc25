"""Demo data for members: staff in every role, and members with Swedish names and languages."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from core.seeding import SeedContext, demo_seeder

from .models import User
from .roles import CLUB_ADMIN, MARKETER, MODERATOR, STORE_STAFF

DEMO_PASSWORD = "demo-lojal-2026"  # noqa: S105 - printed by `make demo` for the demo logins
DEMO_DOMAIN = "demo.lojal.se"

FIRST_NAMES = [
    "Anna",
    "Eva",
    "Maria",
    "Karin",
    "Sara",
    "Lena",
    "Emma",
    "Kerstin",
    "Ingrid",
    "Malin",
    "Sofia",
    "Elin",
    "Ida",
    "Linnéa",
    "Maja",
    "Alva",
    "Astrid",
    "Ebba",
    "Wilma",
    "Elsa",
    "Julia",
    "Hanna",
    "Frida",
    "Johanna",
    "Cecilia",
    "Lars",
    "Mikael",
    "Anders",
    "Johan",
    "Erik",
    "Per",
    "Karl",
    "Peter",
    "Thomas",
    "Jan",
    "Daniel",
    "Fredrik",
    "Oscar",
    "William",
    "Lucas",
    "Hugo",
    "Elias",
    "Liam",
    "Noah",
    "Axel",
    "Nils",
    "Olle",
    "Gustav",
    "Viktor",
    "Emil",
    "Isak",
    "Sven",
    "Björn",
    "Göran",
    "Åsa",
    "Ylva",
    "Sixten",
    "Märta",
]
LAST_NAMES = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Jönsson",
    "Lindberg",
    "Jakobsson",
    "Magnusson",
    "Olofsson",
    "Lindström",
    "Lindqvist",
    "Lindgren",
    "Axelsson",
    "Berg",
    "Bergström",
    "Lundberg",
    "Lind",
    "Lundgren",
    "Lundqvist",
    "Mattsson",
    "Berglund",
    "Fredriksson",
    "Sandberg",
    "Henriksson",
    "Forsberg",
    "Sjöberg",
    "Wallin",
    "Engström",
    "Eklund",
    "Danielsson",
    "Lundin",
    "Håkansson",
    "Björk",
    "Bergman",
    "Gunnarsson",
    "Holm",
    "Wikström",
    "Samuelsson",
    "Fransson",
    "Åberg",
    "Öberg",
    "Ström",
    "Nyström",
    "Holmberg",
    "Isaksson",
    "Nordström",
    "Söderberg",
    "Hedlund",
    "Sundberg",
]

STAFF = [
    ("admin", "Agnes", "Admin", CLUB_ADMIN, True),
    ("marketer", "Maja", "Marknad", MARKETER, False),
    ("moderator", "Moa", "Moderator", MODERATOR, False),
    ("store", "Sture", "Butik", STORE_STAFF, False),
]


def ascii_local(text: str) -> str:
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"})
    return text.lower().translate(table)


@demo_seeder(order=10)
def seed_users(ctx: SeedContext) -> None:
    password = make_password(DEMO_PASSWORD)
    staff = {}
    for local, first, last, role, superuser in STAFF:
        user = User.objects.create(
            email=f"{local}@{DEMO_DOMAIN}",
            first_name=first,
            last_name=last,
            language="sv",
            is_staff=True,
            is_superuser=superuser,
            password=password,
        )
        user.groups.add(Group.objects.get(name=role))
        staff[role] = user
    ctx.made["staff"] = staff

    rng = ctx.rng
    users = [
        User(
            email=f"member@{DEMO_DOMAIN}",
            first_name="Maria",
            last_name="Medlem",
            language="sv",
            password=password,
        )
    ]
    for n in range(1, ctx.members):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        users.append(
            User(
                email=f"{ascii_local(first)}.{ascii_local(last)}.{n}@{DEMO_DOMAIN}",
                first_name=first,
                last_name=last,
                language="sv" if rng.random() < 0.85 else "en",
                password=password,
            )
        )
    User.objects.bulk_create(users, batch_size=2000)
    everyone = User.objects.values_list("id", "email")
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=pk, email=email, primary=True, verified=True)
            for pk, email in everyone
        ],
        batch_size=2000,
    )
    ctx.made["member_user_ids"] = list(
        User.objects.filter(is_staff=False).order_by("pk").values_list("pk", flat=True)
    )
    ctx.out(f"  {len(STAFF)} staff and {len(users)} member logins (password {DEMO_PASSWORD!r})")
