"""Swedish everywhere a person reads (issue 11): every template string and every model and field
name of the project's apps has a Swedish translation, the catalogue has no empty or fuzzy entry,
and the member's pages rendered in Swedish carry none of the English tell-tales."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import strip_tags
from django.utils.translation import trans_real
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
PROJECT_APPS = ["core", "members", "rewards", "events", "forums", "campaigns", "feedback"]
TEMPLATE_DIRS = [ROOT / "templates"] + [ROOT / app / "templates" for app in PROJECT_APPS]
CALL = re.compile(r"\b(n?p?gettext)\((u(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"))")
PCALL = re.compile(
    r"\b(n?pgettext)\((u(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")), "
    r"(u(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"))"
)
TELLTALES = re.compile(r"\b(Member|Members|Reward|Rewards|Cancelled|Periodic)\b")


def _catalog():
    with translation.override("sv"):
        return trans_real.translation("sv")._catalog


def _translated(catalog, msgid: str, context: str | None = None) -> bool:
    key = f"{context}\x04{msgid}" if context else msgid
    return bool(catalog.get(key) or catalog.get((key, 0)))


def _template_strings():
    for directory in TEMPLATE_DIRS:
        for path in sorted(directory.rglob("*.html")) + sorted(directory.rglob("*.txt")):
            code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
            contexts = {}
            for match in PCALL.finditer(code):
                contexts[match.start()] = ast.literal_eval(match.group(2)[1:])
                yield path, ast.literal_eval(match.group(3)[1:]), contexts[match.start()]
            for match in CALL.finditer(code):
                if match.start() in contexts:
                    continue
                yield path, ast.literal_eval(match.group(2)[1:]), None


def test_every_template_string_has_a_swedish_translation():
    catalog = _catalog()
    missing = sorted(
        {
            f"{path.relative_to(ROOT)}: {msgid!r}"
            for path, msgid, context in _template_strings()
            if msgid.strip() and not _translated(catalog, msgid, context)
        }
    )
    assert missing == []


def test_every_model_and_field_name_has_a_swedish_translation():
    catalog = _catalog()
    missing = []
    for app in PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            names = [
                ("model", model._meta.verbose_name),
                ("model plural", model._meta.verbose_name_plural),
            ]
            names += [
                (field.name, field.verbose_name)
                for field in model._meta.get_fields()
                if hasattr(field, "verbose_name") and not field.auto_created
            ]
            for where, name in names:
                if not isinstance(name, Promise):
                    missing.append(f"{model._meta.label}.{where}: {name!r} is not translatable")
                elif not _translated(catalog, name._args[0]):
                    missing.append(f"{model._meta.label}.{where}: {name._args[0]!r}")
    assert missing == []


def test_the_catalogue_has_no_empty_or_fuzzy_entries():
    text = (ROOT / "locale/sv/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]
    fuzzy = [entry for entry in entries if "#, fuzzy" in entry]
    empty = [
        entry
        for entry in entries
        if re.search(r'^msgstr(\[\d\])? ""\Z', entry.strip().splitlines()[-1])
        and not entry.strip().splitlines()[-2].startswith('"')
    ]
    assert fuzzy == [] and empty == []


@pytest.fixture
def swedish_member(client, django_user_model):
    from members.services.purchases import purchase_record
    from rewards.services.ledger import points_award
    from rewards.services.redemptions import Delivery, redemption_cancel, reward_redeem
    from tests.members.factories import MemberFactory, StaffFactory, StoreFactory, UserFactory
    from tests.rewards.factories import RewardFactory, TierFactory

    user = UserFactory(language="sv", first_name="Astrid")
    member = MemberFactory(user=user, email=user.email, language="sv", first_name="Astrid")
    TierFactory(threshold=0, name_sv="Bas", name_en="Base")
    TierFactory(threshold=5000, name_sv="Guld", name_en="Gold")
    points_award(member=member, points=3880, reason="Välkommen", idempotency_key="w")
    store = StoreFactory(name="Butiken")
    purchase_record(
        member=member,
        purchased_at="2026-03-05T12:00:00+01:00",
        amount="129.00",
        currency="SEK",
        channel="store",
        store=store,
        source="pos",
        external_id="t1",
        lines=[],
    )
    product = RewardFactory(kind="product", points_cost=100, name_sv="Termos", name_en="Thermos")
    voucher = RewardFactory(kind="voucher", points_cost=100, name_sv="Kod", name_en="Code")
    reward_redeem(
        member=member,
        reward=product,
        idempotency_key="a",
        delivery=Delivery(method="pickup", store=store),
    )
    cancelled = reward_redeem(member=member, reward=voucher, idempotency_key="b")
    redemption_cancel(redemption=cancelled, actor=StaffFactory())
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    return member, product


def _member_pages(product) -> list[str]:
    return [
        "/",
        reverse("members:card"),
        reverse("members:purchases"),
        reverse("members:profile"),
        reverse("members:preferences"),
        reverse("members:my-data"),
        reverse("rewards:points"),
        reverse("rewards:earn"),
        reverse("rewards:catalogue"),
        reverse("rewards:detail", args=[product.pk]),
        reverse("rewards:redeem", args=[product.pk]),
        reverse("rewards:vouchers"),
        reverse("rewards:benefits"),
        reverse("rewards:badges"),
        reverse("rewards:leaderboard"),
        reverse("account_email"),
        reverse("account_change_password"),
        "/no-such-page/",
    ]


def test_member_pages_in_swedish_have_no_english_telltales(client, swedish_member):
    _member, product = swedish_member
    found = {}
    for path in _member_pages(product):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        text = strip_tags(response.content.decode())
        words = sorted(set(TELLTALES.findall(text)))
        if words:
            found[path] = words
    assert found == {}


def test_visitor_pages_in_swedish_have_no_english_telltales(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    for path in ["/", reverse("account_login"), reverse("account_signup")]:
        text = strip_tags(client.get(path).content.decode())
        assert TELLTALES.findall(text) == [], path
