"""Demo events for seed_demo: past events with registrations and attendance, and upcoming ones
(one full with a waitlist, one with a points price, one online, one open), sized in proportion
to the club. Rows are written in bulk (a handful of statements whatever the club's size), except
the points-priced registrations, which go through the service so the ledger pays for them."""

from __future__ import annotations

import datetime
import random
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.seeding import SeedContext, demo_seeder
from events.models import CODE_ALPHABET, CODE_LENGTH, Event, Registration
from events.services.registrations import event_register
from members.models import Member

S = Registration.Status
PLACES = [
    ("Butiken Drottninggatan", "Drottninggatan 12", "Stockholm"),
    ("Butiken Avenyn", "Kungsportsavenyen 20", "Göteborg"),
    ("Butiken Södergatan", "Södergatan 5", "Malmö"),
]
# (Swedish title, English title, days from today, hour, kind)
EVENTS = [
    ("Vårens nyheter: kvällsvisning", "Spring news: evening preview", -120, 18, "past"),
    ("Stylingkväll med fika", "Styling evening with coffee", -75, 18, "past"),
    ("Skötselskola för läder", "Leather care class", -40, 17, "past"),
    ("Medlemsfrukost", "Members' breakfast", -12, 8, "past"),
    ("Höstens nyheter: förhandsvisning", "Autumn news: preview", 9, 18, "full"),
    ("Provning med sommelier", "Tasting with a sommelier", 16, 19, "points"),
    ("Webbinarium: hållbara material", "Webinar: sustainable materials", 6, 19, "online"),
    ("Löparträff i parken", "Running meet in the park", 23, 9, "open"),
]


def _code(rng: random.Random, taken: set[str]) -> str:
    while True:
        code = "".join(rng.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        if code not in taken:
            taken.add(code)
            return code


def _at(days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    local = datetime.datetime.combine(day, datetime.time(hour, 0))
    return local.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


@demo_seeder(order=70)
def seed_events(ctx: SeedContext) -> None:
    rng = random.Random(f"{ctx.seed}-events")  # noqa: S311 - demo data, not secrets
    member_ids = list(ctx.made.get("member_ids") or Member.objects.values_list("pk", flat=True))
    if not member_ids:
        return
    # Seats in proportion to the club: about one member in 150 comes to an event.
    seats = max(8, min(round(len(member_ids) / 150), 400))
    codes: set[str] = set()
    rows: list[Registration] = []
    events = []
    for n, (title_sv, title_en, days, hour, kind) in enumerate(EVENTS):
        venue, address, city = PLACES[n % len(PLACES)]
        starts = _at(days, hour)
        event = Event.objects.create(
            title_sv=title_sv,
            title_en=title_en,
            description_sv="Välkommen till en kväll för klubbens medlemmar.",
            description_en="Welcome to an evening for the club's members.",
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=2),
            venue="" if kind == "online" else venue,
            address="" if kind == "online" else address,
            city="" if kind == "online" else city,
            online_url="https://video.example.se/lojal-webbinarium" if kind == "online" else "",
            capacity=seats * (3 if kind == "online" else 1),
            guests_allowed=0 if kind in ("online", "points") else 1,
            points_price=300 if kind == "points" else 0,
            attendance_points=50,
            status=Event.Status.FINISHED if kind == "past" else Event.Status.PUBLISHED,
            cancellation_deadline=starts - datetime.timedelta(days=1),
        )
        events.append((event, kind))
        if kind == "points":
            continue
        if kind == "full":
            wanted = event.capacity + max(3, seats // 4)
        elif kind == "past":
            wanted = round(event.capacity * rng.uniform(0.7, 1.0))
        else:
            wanted = round(event.capacity * rng.uniform(0.3, 0.6))
        chosen = rng.sample(member_ids, min(wanted, len(member_ids)))
        taken = position = 0
        for member_id in chosen:
            guests = 1 if event.guests_allowed and rng.random() < 0.2 else 0
            created = starts - datetime.timedelta(days=rng.randint(2, 30))
            if taken + guests + 1 <= event.capacity:
                taken += guests + 1
                status, place = S.REGISTERED, None
            elif kind == "full":
                position += 1
                status, place = S.WAITLISTED, position
            else:
                break
            attended = (
                starts + datetime.timedelta(minutes=rng.randint(-10, 30))
                if kind == "past" and status == S.REGISTERED and rng.random() < 0.82
                else None
            )
            rows.append(
                Registration(
                    event=event,
                    member_id=member_id,
                    guests=guests,
                    status=status,
                    waitlist_position=place,
                    code=_code(rng, codes),
                    qr_token=f"demo{rng.getrandbits(96):024x}",
                    attended_at=attended,
                    created_at=created,
                    updated_at=created,
                )
            )
        event.seats_taken = taken
    with transaction.atomic():
        Registration.objects.bulk_create(rows, batch_size=2000)
        for event, _kind in events:
            Event.objects.filter(pk=event.pk).update(seats_taken=event.seats_taken)
    # The points-priced event: a few members with points register through the service (the
    # ledger is debited; events_reconcile and points_reconcile agree).
    priced = next(event for event, kind in events if kind == "points")
    paid = 0
    # Every member here is the demo's own: no id list (100 000 ids pass PostgreSQL's 65 535
    # parameters of one query).
    for member in Member.objects.filter(
        status=Member.Status.ACTIVE, points_account__balance__gte=priced.points_price
    ).order_by("pk")[: max(3, seats // 3)]:
        try:
            event_register(event=priced, member=member)
        except ValidationError:
            continue
        paid += 1
    ctx.out(
        f"  {len(events)} events, {len(rows) + paid} registrations "
        f"({sum(1 for r in rows if r.attended_at)} attended)"
    )
