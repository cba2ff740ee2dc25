"""The segment rule registry and compiler: each field on small data, AND/OR nesting, validation
messages, and one query per segment."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from members.models import Member, MemberScore
from members.segments import (
    MAX_RULES,
    NUMBER,
    SegmentField,
    segment_field_register,
    segment_field_unregister,
    segment_fields,
    segment_q,
    segment_registry_json,
    segment_rules_validate,
)
from members.selectors.segments import segment_count, segment_members, segment_sample
from tests.members.factories import (
    ConsentEventFactory,
    InterestFactory,
    MemberFactory,
    PurchaseFactory,
    PurchaseLineFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def rule(field, operator, value, **params):
    node = {"field": field, "operator": operator, "value": value}
    if params:
        node["params"] = params
    return node


def every(*rules):
    return {"op": "and", "rules": list(rules)}


def anyof(*rules):
    return {"op": "or", "rules": list(rules)}


def matched(*rules, op="and"):
    return set(segment_members(rules={"op": op, "rules": list(rules)}, now=NOW))


def days_ago(days, hours=0):
    return NOW - datetime.timedelta(days=days, hours=hours)


def score(member, **fields):
    return MemberScore.objects.create(member=member, computed_at=NOW, **fields)


# --- Profile fields ------------------------------------------------------------------------


def test_language_status_and_source_match_their_choices():
    # given members with different languages, statuses and sources
    swede = MemberFactory(language="sv", source="store")
    english = MemberFactory(language="en", source="portal", status="paused")

    # then each choice field selects by its value, and not_in by the others
    assert matched(rule("language", "in", ["en"])) == {english}
    assert matched(rule("language", "not_in", ["en"])) == {swede}
    assert matched(rule("status", "in", ["paused"])) == {english}
    assert matched(rule("source", "in", ["store"])) == {swede}


def test_erased_members_never_match():
    # given an erased member and an active one
    active = MemberFactory()
    MemberFactory(status="erased", erased_at=NOW, email="")

    # when the segment has no rules (everyone)
    members = matched()

    # then only the member who is not erased is in it
    assert members == {active}


def test_city_and_postcode_prefix():
    # given members in two towns
    sthlm = MemberFactory(city="Stockholm", postcode="11350")
    gbg = MemberFactory(city="Göteborg", postcode="41101")

    # then city compares case-insensitively, and the postcode prefix ignores spaces
    assert matched(rule("city", "eq", "stockholm")) == {sthlm}
    assert matched(rule("city", "ne", "Stockholm")) == {gbg}
    assert matched(rule("city", "contains", "borg")) == {gbg}
    assert matched(rule("postcode", "starts_with", "113 5")) == {sthlm}
    assert matched(rule("postcode", "starts_with", "4")) == {gbg}


def test_preferred_store_by_code():
    # given a member who prefers Uppsala and one without a preference
    uppsala = StoreFactory(code="uppsala")
    fan = MemberFactory(preferred_store=uppsala)
    other = MemberFactory()

    # then the store's code selects its fans, and not_in keeps those without one
    assert matched(rule("preferred_store", "in", ["uppsala"])) == {fan}
    assert matched(rule("preferred_store", "not_in", ["uppsala"])) == {other}


def test_age_and_birth_month():
    # given a 30-year-old born today's month, a 45-year-old, and one without a birth date
    today = timezone.localdate(NOW)
    thirty = MemberFactory(birth_date=today.replace(year=today.year - 30))
    forty_five = MemberFactory(
        birth_date=datetime.date(today.year - 46, 1, 1) + datetime.timedelta(days=400)
    )
    MemberFactory(birth_date=None)

    # then age compares whole years today
    assert matched(rule("age", "eq", 30)) == {thirty}
    assert matched(rule("age", "gte", 31)) == {forty_five}
    assert matched(rule("age", "lt", 30)) == set()
    assert matched(rule("age", "between", [25, 35])) == {thirty}
    assert matched(rule("age", "ne", 30)) == {forty_five}
    # and the birth month by the calendar month
    assert thirty in matched(rule("birth_month", "in", [str(today.month)]))


def test_joined_date():
    # given a member who joined long ago and one who joined last week
    old = MemberFactory(joined_at=NOW.replace(year=2020, month=3, day=1))
    new = MemberFactory(joined_at=days_ago(7))

    # then dates compare by day, and last_days counts back from now
    assert matched(rule("joined", "before", "2021-01-01")) == {old}
    assert matched(rule("joined", "after", "2021-01-01")) == {new}
    assert matched(rule("joined", "between", ["2020-01-01", "2020-12-31"])) == {old}
    assert matched(rule("joined", "last_days", 30)) == {new}


def test_interests_any_all_none():
    # given members with running, cycling, or both
    running, cycling = InterestFactory(slug="running"), InterestFactory(slug="cycling")
    runner = MemberFactory()
    runner.interests.add(running)
    both = MemberFactory()
    both.interests.add(running, cycling)
    nothing = MemberFactory()

    # then any/all/none behave as named
    assert matched(rule("interests", "any", ["running", "cycling"])) == {runner, both}
    assert matched(rule("interests", "all", ["running", "cycling"])) == {both}
    assert matched(rule("interests", "none", ["cycling"])) == {runner, nothing}


def test_has_email_and_phone():
    with_both = MemberFactory()
    without = MemberFactory(email="", phone="")

    assert matched(rule("has_email", "is", True)) == {with_both}
    assert matched(rule("has_phone", "is", False)) == {without}


def test_consent_uses_the_latest_event_per_purpose():
    # given one member who granted e-mail, one who granted and then withdrew, one never asked
    granted = MemberFactory()
    ConsentEventFactory(member=granted, purpose="email", granted=True)
    withdrew = MemberFactory()
    ConsentEventFactory(member=withdrew, purpose="email", granted=True, created_at=days_ago(5))
    ConsentEventFactory(member=withdrew, purpose="email", granted=False, text=None)
    never = MemberFactory()

    # then only the latest event counts, and "not granted" includes the never-asked
    assert matched(rule("consent_email", "is", True)) == {granted}
    assert matched(rule("consent_email", "is", False)) == {withdrew, never}
    assert matched(rule("consent_sms", "is", True)) == set()


# --- Purchase fields -----------------------------------------------------------------------


def test_spend_within_days_subtracts_returns_and_counts_no_purchases_as_zero():
    # given a big spender recently, one with a return bringing them under 500, an old spender,
    # and a member who never bought
    big = MemberFactory()
    PurchaseFactory(member=big, amount=Decimal("600"), purchased_at=days_ago(10))
    returned = MemberFactory()
    sale = PurchaseFactory(member=returned, amount=Decimal("700"), purchased_at=days_ago(20))
    PurchaseFactory(
        member=returned, amount=Decimal("-300"), original=sale, purchased_at=days_ago(19)
    )
    old = MemberFactory()
    PurchaseFactory(member=old, amount=Decimal("900"), purchased_at=days_ago(200))
    never = MemberFactory()

    # then spend in the last 90 days is net of returns
    assert matched(rule("spend", "gt", "500", days=90)) == {big}
    # and members without purchases count as 0 where 0 qualifies
    assert matched(rule("spend", "lt", "450", days=90)) == {returned, old, never}
    assert matched(rule("spend", "eq", "0", days=90)) == {old, never}
    assert matched(rule("spend", "ne", "0", days=90)) == {big, returned}
    # and without days, all purchases count
    assert matched(rule("spend", "gte", "900")) == {old}
    assert matched(rule("spend", "between", ["350", "650"])) == {big, returned}


def test_purchase_count_within_days_ignores_returns():
    # given a member with three recent orders and one with one order and its return
    frequent = MemberFactory()
    for n in range(3):
        PurchaseFactory(member=frequent, purchased_at=days_ago(n + 1))
    once = MemberFactory()
    sale = PurchaseFactory(member=once, purchased_at=days_ago(3))
    PurchaseFactory(member=once, amount=Decimal("-10"), original=sale, purchased_at=days_ago(2))
    never = MemberFactory()

    assert matched(rule("purchase_count", "gte", 3, days=30)) == {frequent}
    assert matched(rule("purchase_count", "eq", 1, days=30)) == {once}
    assert matched(rule("purchase_count", "lt", 1)) == {never}


def test_days_since_last_purchase():
    # given members whose last order was 5, 40 and 100 days ago, and one who never bought
    five = MemberFactory()
    PurchaseFactory(member=five, purchased_at=days_ago(50))
    PurchaseFactory(member=five, purchased_at=days_ago(5, hours=1))
    forty = MemberFactory()
    PurchaseFactory(member=forty, purchased_at=days_ago(40, hours=1))
    hundred = MemberFactory()
    PurchaseFactory(member=hundred, purchased_at=days_ago(100, hours=1))
    MemberFactory()

    assert matched(rule("days_since_last_purchase", "gte", 40)) == {forty, hundred}
    assert matched(rule("days_since_last_purchase", "gt", 40)) == {hundred}
    assert matched(rule("days_since_last_purchase", "lte", 40)) == {five, forty}
    assert matched(rule("days_since_last_purchase", "lt", 40)) == {five}
    assert matched(rule("days_since_last_purchase", "eq", 5)) == {five}
    assert matched(rule("days_since_last_purchase", "between", [30, 60])) == {forty}
    assert matched(rule("days_since_last_purchase", "ne", 5)) == {forty, hundred}


def test_channel_store_and_category_bought():
    # given an online buyer of shoes and an in-store buyer of a tent in Uppsala long ago
    uppsala = StoreFactory(code="uppsala")
    online = MemberFactory()
    shoes = PurchaseFactory(member=online, channel="online", store=None, purchased_at=days_ago(3))
    PurchaseLineFactory(purchase=shoes, category="Skor")
    in_store = MemberFactory()
    tent = PurchaseFactory(member=in_store, store=uppsala, purchased_at=days_ago(300))
    PurchaseLineFactory(purchase=tent, category="Friluft")

    assert matched(rule("channel", "in", ["store"])) == {in_store}
    assert matched(rule("channel", "in", ["store"], days=90)) == set()
    assert matched(rule("channel", "not_in", ["online"])) == {in_store}
    assert matched(rule("store", "any", ["uppsala"])) == {in_store}
    assert matched(rule("store", "none", ["uppsala"])) == {online}
    assert matched(rule("category", "any", ["Skor", "Kök"])) == {online}
    assert matched(rule("category", "any", ["Friluft"], days=30)) == set()
    assert matched(rule("category", "none", ["Skor"])) == {in_store}


# --- Scores --------------------------------------------------------------------------------


def test_scores_through_the_score_relation():
    # given a recent loyal member, an at-risk one and one without a score row yet
    loyal = MemberFactory()
    score(
        loyal,
        recency_score=5,
        frequency_score=4,
        monetary_score=5,
        churn_risk=Decimal("0.1"),
        clv_historic=Decimal("12000"),
        clv_predicted_12m=Decimal("5000"),
        preferred_channel="both",
    )
    at_risk = MemberFactory()
    score(at_risk, recency_score=1, churn_risk=Decimal("0.9"), preferred_channel="online")
    unscored = MemberFactory()

    assert matched(rule("recency_score", "gte", 4)) == {loyal}
    assert matched(rule("frequency_score", "eq", 4)) == {loyal}
    assert matched(rule("monetary_score", "lte", 1)) == {at_risk}
    assert matched(rule("churn_risk", "gt", "0.5")) == {at_risk}
    assert matched(rule("clv", "gte", "10000")) == {loyal}
    assert matched(rule("clv_predicted", "lt", "100")) == {at_risk}
    assert matched(rule("preferred_channel", "in", ["online"])) == {at_risk}
    assert matched(rule("recency_score", "ne", 5)) == {at_risk}
    # an OR with a score rule still reaches members without a score row
    assert matched(rule("recency_score", "gte", 4), rule("city", "eq", unscored.city), op="or") == {
        loyal,
        at_risk,
        unscored,
    }


# --- Nesting -------------------------------------------------------------------------------


def test_and_or_groups_nest():
    # given Stockholm and Göteborg members speaking Swedish or English
    sv_sthlm = MemberFactory(city="Stockholm", language="sv")
    en_sthlm = MemberFactory(city="Stockholm", language="en")
    sv_gbg = MemberFactory(city="Göteborg", language="sv")
    MemberFactory(city="Malmö", language="en")

    # when (Stockholm AND English) OR (Göteborg)
    members = matched(
        every(rule("city", "eq", "Stockholm"), rule("language", "in", ["en"])),
        anyof(rule("city", "eq", "Göteborg")),
        op="or",
    )

    # then the groups keep their meaning
    assert members == {en_sthlm, sv_gbg}
    # and Swedish AND (Stockholm OR Göteborg)
    assert matched(
        rule("language", "in", ["sv"]),
        anyof(rule("city", "eq", "Stockholm"), rule("city", "eq", "Göteborg")),
    ) == {sv_sthlm, sv_gbg}


def test_an_empty_group_matches_everyone():
    members = [MemberFactory(), MemberFactory()]
    assert matched(anyof(), op="or") == set(members)


# --- Validation ----------------------------------------------------------------------------


def messages(rules):
    with pytest.raises(ValidationError) as error:
        segment_rules_validate(rules)
    return error.value.messages


def test_validation_names_the_rule_and_the_problem():
    StoreFactory(code="uppsala")
    problems = messages(
        every(
            rule("shoe_size", "eq", 42),
            rule("spend", "contains", "x"),
            rule("spend", "gt", "lots", days=90),
            rule("spend", "gt", "500", days=0),
            anyof(rule("recency_score", "gte", 9), rule("preferred_store", "in", ["atlantis"])),
            rule("age", "between", [40, 20]),
            rule("consent_email", "is", "yes"),
            rule("interests", "any", []),
            {"operator": "eq"},
        )
    )

    assert problems == [
        "Rule 1: unknown field “shoe_size”.",
        "Rule 2 (spend (SEK, returns subtracted)): the operator “contains” does not apply; "
        "use one of: eq (is), ne (is not), gt (more than), gte (at least), lt (less than), "
        "lte (at most), between (between).",
        "Rule 3 (spend (SEK, returns subtracted)): enter a number, e.g. 500 or 0.5.",
        "Rule 4 (spend (SEK, returns subtracted)): the number of days must be from 1 to 3650.",
        "Rule 5.1 (RFM recency score): the value must be at most 5.",
        "Rule 5.2 (preferred store): “atlantis” is not one of the choices.",
        "Rule 6 (age): the first value must not be greater than the second.",
        "Rule 7 (E-mail marketing): choose yes or no.",
        "Rule 8 (interests): choose at least one value.",
        "Rule 9: choose a field.",
    ]


def test_validation_limits_depth_and_rule_count():
    # given groups nested four deep
    deep = every(every(every(every(rule("city", "eq", "Umeå")))))
    assert messages(deep) == [
        "Group 1.1.1 is nested too deep: groups may be nested at most 3 levels."
    ]
    # given 51 rules
    many = every(*[rule("city", "eq", "Umeå") for _n in range(MAX_RULES + 1)])
    assert messages(many) == ["A segment may have at most 50 rules; this one has 51."]
    # given a bad op and a non-object
    assert messages({"op": "xor", "rules": []}) == [
        "Group 0: “op” must be “and” or “or”, not “xor”."
    ]
    assert messages([]) == ["The rules must be an object with “op” (“and” or “or”) and “rules”."]


def test_validation_messages_are_translated():
    from django.utils import translation

    with translation.override("sv"):
        problems = messages(every(rule("shoe_size", "eq", 1)))
    assert problems and "shoe_size" in problems[0]


def test_validation_normalises_values():
    StoreFactory(code="uppsala")
    cleaned = segment_rules_validate(
        every(
            rule("spend", "gt", 500.5, days="90"),
            rule("store", "any", ["uppsala", "uppsala"]),
            rule("joined", "before", "2024-01-31"),
            {"field": "city", "operator": "eq", "value": " Umeå ", "params": {}},
        )
    )
    assert cleaned == every(
        rule("spend", "gt", "500.5", days=90),
        rule("store", "any", ["uppsala"]),
        rule("joined", "before", "2024-01-31"),
        rule("city", "eq", "Umeå"),
    )


# --- One query, registry -------------------------------------------------------------------

FOUR_RULES = every(
    rule("spend", "gt", "500", days=90),
    rule("consent_email", "is", True),
    rule("channel", "in", ["store"]),
    rule("recency_score", "gte", 4),
)


def test_the_four_rule_segment_is_one_query(django_assert_num_queries):
    # given a member matching all four rules and others missing one each
    def shopper(*, consent=True, channel="store", amount="600", recency=5):
        member = MemberFactory()
        PurchaseFactory(
            member=member,
            amount=Decimal(amount),
            channel=channel,
            purchased_at=days_ago(10),
            **({"store": None} if channel == "online" else {}),
        )
        if consent:
            ConsentEventFactory(member=member, purpose="email")
        score(member, recency_score=recency)
        return member

    hit = shopper()
    shopper(consent=False)
    shopper(channel="online")
    shopper(amount="400")
    shopper(recency=3)

    # then count, sample and members are one query each
    with django_assert_num_queries(1):
        assert segment_count(rules=FOUR_RULES, now=NOW) == 1
    with django_assert_num_queries(1):
        assert segment_sample(rules=FOUR_RULES, now=NOW) == [hit]
    with django_assert_num_queries(1):
        assert list(segment_members(rules=FOUR_RULES, now=NOW)) == [hit]


def test_other_apps_register_their_own_fields():
    # given a field another app registers (rewards' points, say)
    segment_field_register(
        SegmentField(
            "test_member_id_even",
            "even id",
            "Test",
            NUMBER,
            lambda operator, value, params: Q(pk__gte=value),
        )
    )
    try:
        first, second = MemberFactory(), MemberFactory()
        # then it is validated, compiled and offered to the builder like the others
        assert matched(rule("test_member_id_even", "gte", second.pk)) == {second}
        assert first not in matched(rule("test_member_id_even", "gte", second.pk))
        assert "test_member_id_even" in [f.key for f in segment_fields()]
        assert any(item["key"] == "test_member_id_even" for item in segment_registry_json())
    finally:
        segment_field_unregister("test_member_id_even")


def test_registry_json_lists_choices_and_params():
    StoreFactory(code="uppsala", name="Uppsala")
    registry = {item["key"]: item for item in segment_registry_json()}

    assert {"value": "uppsala", "label": "Uppsala"} in registry["store"]["choices"]
    assert registry["spend"]["params"][0]["name"] == "days"
    assert registry["spend"]["kind"] == "decimal"
    assert [op["value"] for op in registry["consent_email"]["operators"]] == ["is"]


def test_segment_q_rejects_malformed_rules_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(ValidationError):
        segment_q({"op": "and", "rules": [rule("spend", "gt", "x")]})
    assert Member.objects.count() == 0
