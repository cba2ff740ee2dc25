"""Demo data for members: staff in every role, stores, interests, members (with and without a
login) with consents, two years of purchases online and in store with returns, and their scores.

Fast enough for 100 000 members and about a million purchases in well under three minutes on
PostgreSQL: rows are generated in Python with their ids and streamed with COPY (psycopg 3); on
SQLite they go in with executemany. Deterministic for a given --seed, with dates counted back
from the start of the current day (UTC). Purchases are written directly, not through
purchase_record, so the purchase_recorded hooks (rewards' points) do not run for demo data.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable, Sequence
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max, Model
from django.utils import timezone

from core.seeding import SeedContext, demo_seeder

from .models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentText,
    Interest,
    Member,
    Purchase,
    PurchaseLine,
    Store,
    User,
)
from .roles import CLUB_ADMIN, MARKETER, MODERATOR, STORE_STAFF
from .services.scores import member_scores_compute

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


# Share of demo members with a portal login; the others joined at a till.
LOGIN_SHARE = 0.6

# (code, name, town, postcode prefix)
STORES = [
    ("stockholm", "Lojal Stockholm Drottninggatan", "Stockholm", "111"),
    ("goteborg", "Lojal Göteborg Avenyn", "Göteborg", "411"),
    ("malmo", "Lojal Malmö Södergatan", "Malmö", "211"),
    ("uppsala", "Lojal Uppsala Forumtorget", "Uppsala", "753"),
    ("vasteras", "Lojal Västerås Stora torget", "Västerås", "722"),
    ("orebro", "Lojal Örebro Drottninggatan", "Örebro", "702"),
    ("linkoping", "Lojal Linköping Ågatan", "Linköping", "582"),
    ("umea", "Lojal Umeå Kungsgatan", "Umeå", "903"),
]
WEB_SHOP = ("webbshop", "Lojal webbshop", "", "")
# How members spread over the towns (Stockholm, Göteborg and Malmö are the biggest).
STORE_WEIGHTS = [30, 18, 14, 8, 7, 7, 8, 8]

INTERESTS = [
    ("Löpning", "lopning", "Running"),
    ("Friluftsliv", "friluftsliv", "Outdoor life"),
    ("Matlagning ute", "matlagning-ute", "Outdoor cooking"),
    ("Cykling", "cykling", "Cycling"),
    ("Yoga", "yoga", "Yoga"),
    ("Fiske", "fiske", "Fishing"),
    ("Skidåkning", "skidakning", "Skiing"),
    ("Trädgård", "tradgard", "Gardening"),
    ("Klättring", "klattring", "Climbing"),
    ("Resor", "resor", "Travel"),
]

# category -> [(product, price in SEK)]
CATALOGUE = {
    "Skor": [("Löparsko", 1299), ("Vandringskänga", 1899), ("Sandal", 499), ("Vintersko", 1499)],
    "Kläder": [
        ("Funktions-t-shirt", 349),
        ("Fleecetröja", 699),
        ("Skaljacka", 2499),
        ("Dunjacka", 2999),
        ("Vandringsbyxa", 899),
        ("Ullstrumpor", 149),
        ("Mössa", 199),
    ],
    "Friluft": [
        ("Tält 2 personer", 3499),
        ("Sovsäck", 1799),
        ("Liggunderlag", 599),
        ("Ryggsäck 30 l", 1199),
        ("Pannlampa", 399),
    ],
    "Kök": [("Stormkök", 1099), ("Termos", 299), ("Spork", 49), ("Kaffepanna", 249)],
    "Träning": [("Yogamatta", 399), ("Pulsklocka", 2799), ("Vattenflaska", 129)],
    "Cykel": [("Cykelhjälm", 899), ("Cykellampa", 349), ("Cykelväska", 599)],
}
_PRODUCTS = [
    (category, product, Decimal(price))
    for category, items in CATALOGUE.items()
    for product, price in items
]
# Cheap things sell more often than tents.
_PRODUCT_WEIGHTS = [1.0 / (float(price) ** 0.5) for _category, _product, price in _PRODUCTS]
_LINE_COUNTS = [1, 2, 3, 4]
_LINE_COUNT_WEIGHTS = [45, 30, 15, 10]

# Purchase patterns: (name, share, (fewest, most purchases))
PATTERNS = [
    ("loyal", 0.18, (15, 40)),
    ("regular", 0.30, (5, 15)),
    ("lapsed", 0.20, (3, 12)),
    ("oneoff", 0.20, (1, 1)),
    ("new", 0.12, (1, 4)),
]
RETURN_SHARE = 0.04
# Consent purpose -> share of members who granted it (a tenth of them withdrew later).
CONSENT_SHARES = {
    ConsentPurpose.EMAIL_MARKETING: 0.65,
    ConsentPurpose.SMS_MARKETING: 0.35,
    ConsentPurpose.PROFILING: 0.55,
    ConsentPurpose.AD_MATCHING: 0.20,
}
_DAY = 86400


def _luhn_check_digit(payload: str) -> str:
    """The Luhn check digit (the rule of members.services.profiles.member_number_is_valid)."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def _anchor() -> datetime.datetime:
    """Dates count back from the start of today (UTC), so a seed gives the same club all day."""
    now = timezone.now().astimezone(datetime.UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _next_id(model: type[Model]) -> int:
    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def _insert(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert plain rows (values in the order of `fields`) into the model's table: COPY on
    PostgreSQL, executemany in batches elsewhere. No save(), no signals. Returns the row count.
    `rows` may be a generator, but it must not query the database (COPY holds the connection)."""
    meta = model._meta
    model_fields = [meta.get_field(name) for name in fields]
    columns = [field.column for field in model_fields]  # type: ignore[union-attr]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    table = connection.ops.quote_name(meta.db_table)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({marks})"  # noqa: S608 - names from _meta
        adapt = connection.ops.adapt_datetimefield_value
        batch: list[tuple] = []
        for row in rows:
            batch.append(tuple(adapt(v) if isinstance(v, datetime.datetime) else v for v in row))
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _reset_sequences(*models: type[Model]) -> None:
    """Move the id sequences past the ids given explicitly by _insert."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


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

    # The other members joined at a till and have no login (see seed_members).
    logins = max(1, round(ctx.members * LOGIN_SHARE)) if ctx.members > 0 else 0
    rng = ctx.rng
    first_id = _next_id(User)
    joined = timezone.now()

    def users():
        for n in range(logins):
            if n == 0:
                email, first, last, language = f"member@{DEMO_DOMAIN}", "Maria", "Medlem", "sv"
            else:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                email = f"{ascii_local(first)}.{ascii_local(last)}.{n}@{DEMO_DOMAIN}"
                language = "sv" if rng.random() < 0.85 else "en"
            yield (first_id + n, password, False, email, first, last, language, False, True, joined)

    fields = [
        "id",
        "password",
        "is_superuser",
        "email",
        "first_name",
        "last_name",
        "language",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    _insert(User, fields, users())
    _reset_sequences(User)
    # Read before writing: no other query may run on the connection while COPY streams.
    everyone = list(User.objects.order_by("pk").values_list("id", "email"))
    _insert(
        EmailAddress,
        ["user", "email", "primary", "verified"],
        ((pk, email, True, True) for pk, email in everyone),
    )
    ctx.made["member_user_ids"] = list(
        User.objects.filter(is_staff=False).order_by("pk").values_list("pk", flat=True)
    )
    ctx.out(f"  {len(STAFF)} staff and {logins} member logins (password {DEMO_PASSWORD!r})")


@demo_seeder(order=20)
def seed_members(ctx: SeedContext) -> None:
    """Stores, interests, and --members members: one per login, the rest joined at a till; with
    interests and consents (against the v1 consent texts)."""
    rng = random.Random(f"{ctx.seed}-members")  # noqa: S311 - demo data, not secrets
    anchor = _anchor()
    stores = Store.objects.bulk_create(
        [
            Store(code=code, name=name, city=city, is_online=False)
            for code, name, city, _prefix in STORES
        ]
        + [Store(code=WEB_SHOP[0], name=WEB_SHOP[1], is_online=True)]
    )
    interests = Interest.objects.bulk_create(
        [Interest(name=name, slug=slug, name_en=english) for name, slug, english in INTERESTS]
    )
    texts = {}
    for purpose in ConsentPurpose.values:
        text = ConsentText.objects.filter(purpose=purpose).order_by("version").first()
        if text is None:  # the profiles migration normally publishes version 1
            text = ConsentText.objects.create(
                purpose=purpose, version=1, text_sv=str(purpose), text_en=str(purpose)
            )
        texts[purpose] = text.pk

    logins = list(
        User.objects.filter(is_staff=False)
        .order_by("pk")
        .values_list("pk", "email", "first_name", "last_name", "language")
    )
    numbers = rng.sample(range(1_000_000, 10_000_000), ctx.members)
    first_id = _next_id(Member)
    town_stores = stores[: len(STORES)]
    members: list[tuple] = []  # (id, joined_at, home store id, has login)
    interest_rows: list[tuple[int, int]] = []
    consent_rows: list[tuple] = []

    def member_rows():
        for index in range(ctx.members):
            member_id = first_id + index
            number = str(numbers[index])
            number += _luhn_check_digit(number)
            town = rng.choices(range(len(STORES)), weights=STORE_WEIGHTS)[0]
            home = town_stores[town]
            joined_at = anchor - datetime.timedelta(seconds=rng.randint(20 * _DAY, 1100 * _DAY))
            if index < len(logins):
                user_id, email, first, last, language = logins[index]
                source = Member.Source.PORTAL
            else:
                user_id = None
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                has_email = rng.random() < 0.6
                email = (
                    f"{ascii_local(first)}.{ascii_local(last)}.t{index}@{DEMO_DOMAIN}"
                    if has_email
                    else ""
                )
                language = "sv" if rng.random() < 0.9 else "en"
                source = Member.Source.STORE if rng.random() < 0.85 else Member.Source.IMPORT
            phone = f"+4670{rng.randrange(10_000_000):07d}" if rng.random() < 0.7 else ""
            birth = datetime.date(1945, 1, 1) + datetime.timedelta(days=rng.randrange(22_000))
            postcode = f"{STORES[town][3]}{rng.randrange(100):02d}"
            members.append((member_id, joined_at, home.pk, user_id is not None))
            for interest in rng.sample(interests, rng.choice((0, 1, 1, 2, 2, 3))):
                interest_rows.append((member_id, interest.pk))
            consent_source = ConsentEvent.Source.PORTAL if user_id else ConsentEvent.Source.STORE
            for purpose, share in CONSENT_SHARES.items():
                if purpose == ConsentPurpose.SMS_MARKETING and not phone:
                    continue
                if rng.random() >= share:
                    continue
                given = joined_at + datetime.timedelta(seconds=rng.randint(0, 3600))
                consent_rows.append(
                    (member_id, purpose, True, texts[purpose], consent_source, given)
                )
                if rng.random() < 0.1:
                    withdrawn = given + datetime.timedelta(
                        seconds=rng.randint(
                            _DAY, max(_DAY + 1, int((anchor - given).total_seconds()))
                        )
                    )
                    consent_rows.append(
                        (member_id, purpose, False, None, ConsentEvent.Source.PORTAL, withdrawn)
                    )
            yield (
                member_id,
                number,
                user_id,
                first,
                last,
                email,
                phone,
                birth,
                postcode,
                STORES[town][2],
                language,
                home.pk,
                source,
                Member.Status.ACTIVE,
                "",
                joined_at,
                anchor,
            )

    _insert(
        Member,
        [
            "id",
            "number",
            "user",
            "first_name",
            "last_name",
            "email",
            "phone",
            "birth_date",
            "postcode",
            "city",
            "language",
            "preferred_store",
            "source",
            "status",
            "notes",
            "joined_at",
            "updated_at",
        ],
        member_rows(),
    )
    _reset_sequences(Member)
    _insert(Member.interests.through, ["member", "interest"], interest_rows)
    _insert(
        ConsentEvent,
        ["member", "purpose", "granted", "text", "source", "created_at"],
        consent_rows,
    )
    ctx.made["stores"] = stores
    ctx.made["interests"] = interests
    ctx.made["members"] = members
    ctx.made["member_ids"] = [row[0] for row in members]
    ctx.out(
        f"  {len(stores)} stores, {len(interests)} interests, {len(members)} members "
        f"({len(logins)} with a login), {len(consent_rows)} consent changes"
    )


def _purchase_times(
    rng: random.Random, pattern: str, count: int, joined: float, now: float
) -> list[float]:
    """Sorted purchase times (seconds since the epoch) for one member's pattern."""
    start = max(joined, now - 730 * _DAY)
    if pattern in ("loyal", "regular"):
        # the last visit within about one of their usual intervals (1.5 for regulars)
        usual = (now - start) / count
        end = now - rng.uniform(0, usual if pattern == "loyal" else 1.5 * usual)
    elif pattern == "lapsed":
        end = now - rng.uniform(200, 500) * _DAY
        start = min(start, end - 120 * _DAY)
    elif pattern == "new":
        start = max(joined, now - rng.uniform(15, 120) * _DAY)
        end = now - 3600
    else:  # oneoff
        end = now - 3600
    if end <= start:
        start = end - 30 * _DAY
    # Nobody buys before joining (a till sign-up is the first purchase's moment at the latest).
    earliest, latest = joined + 600, now - 600
    return sorted(min(max(rng.uniform(start, end), earliest), latest) for _ in range(count))


@demo_seeder(order=30)
def seed_purchases(ctx: SeedContext) -> None:
    """About ten purchases per member over two years, with lines and some returns; then the
    scores. Each member follows a pattern (loyal, regular, lapsed, one-off, new) and a channel
    habit (online only, in store only, both)."""
    rng = random.Random(f"{ctx.seed}-purchases")  # noqa: S311 - demo data, not secrets
    anchor = _anchor()
    now = anchor.timestamp()
    stores = ctx.made["stores"]
    town_ids = [store.pk for store in stores if not store.is_online]
    web_id = next(store.pk for store in stores if store.is_online)
    first_id = _next_id(Purchase)
    pattern_names = [name for name, _share, _range in PATTERNS]
    pattern_weights = [share for _name, share, _range in PATTERNS]
    pattern_ranges = {name: span for name, _share, span in PATTERNS}
    utc = datetime.UTC
    fromtimestamp = datetime.datetime.fromtimestamp
    choices, random_ = rng.choices, rng.random
    lines: list[tuple] = []
    counts = {"purchases": 0, "returns": 0}

    def purchase_rows():
        next_id = first_id
        for member_id, joined_at, home_id, _has_login in ctx.made["members"]:
            pattern = choices(pattern_names, weights=pattern_weights)[0]
            fewest, most = pattern_ranges[pattern]
            habit = random_()
            online_share = 1.0 if habit < 0.25 else 0.0 if habit < 0.65 else rng.uniform(0.3, 0.7)
            count = rng.randint(fewest, most)
            times = _purchase_times(rng, pattern, count, joined_at.timestamp(), now)
            for moment in times:
                purchase_id = next_id
                next_id += 1
                online = random_() < online_share
                if online:
                    channel, store_id, source = "online", web_id, "eshop"
                else:
                    channel, source = "store", "pos"
                    store_id = home_id if random_() < 0.85 else rng.choice(town_ids)
                picked = choices(
                    _PRODUCTS,
                    weights=_PRODUCT_WEIGHTS,
                    k=choices(_LINE_COUNTS, weights=_LINE_COUNT_WEIGHTS)[0],
                )
                amount = Decimal(0)
                first_line = None
                for category, product, price in picked:
                    quantity = 2 if random_() < 0.1 else 1
                    line_amount = price * quantity
                    amount += line_amount
                    lines.append((purchase_id, product, category, quantity, line_amount))
                    if first_line is None:
                        first_line = (product, category, quantity, line_amount)
                at = fromtimestamp(moment, utc)
                counts["purchases"] += 1
                yield (
                    purchase_id,
                    member_id,
                    at,
                    amount,
                    "SEK",
                    channel,
                    store_id,
                    source,
                    f"{'W' if online else 'K'}{purchase_id}",
                    None,
                    at,
                )
                if first_line is not None and random_() < RETURN_SHARE:
                    returned_at = moment + rng.uniform(1, 20) * _DAY
                    if returned_at >= now:
                        continue
                    return_id = next_id
                    next_id += 1
                    product, category, quantity, line_amount = first_line
                    lines.append((return_id, product, category, quantity, -line_amount))
                    counts["returns"] += 1
                    at = fromtimestamp(returned_at, utc)
                    yield (
                        return_id,
                        member_id,
                        at,
                        -line_amount,
                        "SEK",
                        channel,
                        store_id,
                        source,
                        f"R{return_id}",
                        purchase_id,
                        at,
                    )

    _insert(
        Purchase,
        [
            "id",
            "member",
            "purchased_at",
            "amount",
            "currency",
            "channel",
            "store",
            "source",
            "external_id",
            "original",
            "created_at",
        ],
        purchase_rows(),
    )
    _reset_sequences(Purchase)
    _insert(PurchaseLine, ["purchase", "product", "category", "quantity", "amount"], lines)
    written = member_scores_compute(now=timezone.now())
    ctx.out(
        f"  {counts['purchases']} purchases and {counts['returns']} returns with "
        f"{len(lines)} lines; scores for {written} members"
    )


from . import demo_segments  # noqa: E402,F401
