"""Consent: the log per purpose, its current state, texts and versions, and the Q for segments."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from members.models import ConsentEvent, ConsentPurpose, ConsentText, Member
from members.selectors.consent import (
    consent_choices,
    consent_current,
    consent_granted_q,
    consent_text_current,
)
from members.services.consent import consent_set, consent_set_many, consent_text_publish
from tests.members.factories import ConsentTextFactory, MemberFactory, StaffFactory


@pytest.fixture
def texts(db):
    """Version 1 of each purpose's text (the data migration's, or made here after a flush)."""
    return {purpose: ConsentTextFactory(purpose=purpose) for purpose in ConsentPurpose.values}


@pytest.mark.django_db
def test_the_data_migration_publishes_version_1_in_both_languages():
    # given no texts at all
    ConsentText.objects.all().delete()
    migration = importlib.import_module("members.migrations.0005_profiles_consent_texts")

    # when the migration's step runs (twice: it must be safe to repeat)
    migration.create_texts(django_apps, None)
    migration.create_texts(django_apps, None)

    # then each purpose has version 1 in Swedish and English
    texts = ConsentText.objects.all()
    assert sorted(text.purpose for text in texts) == sorted(ConsentPurpose.values)
    for text in texts:
        assert text.version == 1
        assert text.text_sv.startswith("Ja") and text.text_en.startswith("Yes")


@pytest.mark.django_db
def test_current_state_comes_from_the_latest_event(texts):
    member = MemberFactory()
    staff = StaffFactory()

    # when a member grants e-mail, withdraws it, and grants SMS
    first = consent_set(member=member, purpose="email", granted=True, source="portal")
    consent_set(member=member, purpose="email", granted=False, source="unsubscribe")
    consent_set(
        member=member, purpose="sms", granted=True, source="staff", actor=staff, ip_address="::1"
    )

    # then the current state follows the latest event of each purpose
    assert consent_current(member=member) == {
        "email": False,
        "sms": True,
        "profiling": False,
        "ad_matching": False,
    }
    # and the log keeps every change, the grant with the text shown
    assert ConsentEvent.objects.filter(member=member).count() == 3
    assert first.text == texts["email"]
    sms = ConsentEvent.objects.get(member=member, purpose="sms")
    assert (sms.actor, sms.ip_address, sms.source) == (staff, "::1", "staff")


@pytest.mark.django_db
def test_setting_the_same_state_again_writes_nothing(texts):
    member = MemberFactory()
    # withdrawing what was never granted: nothing to record
    assert consent_set(member=member, purpose="email", granted=False, source="portal") is None
    granted = consent_set(member=member, purpose="email", granted=True, source="portal")

    # when the same grant arrives again (double click, import re-run)
    again = consent_set(member=member, purpose="email", granted=True, source="import")

    # then the first event stands and nothing new is written
    assert again.pk == granted.pk
    assert ConsentEvent.objects.filter(member=member).count() == 1


@pytest.mark.django_db
def test_a_new_text_version_is_recorded_when_granted_again(texts):
    # given a member who agreed to version 1
    member = MemberFactory()
    v1 = consent_set(member=member, purpose="email", granted=True, source="portal")

    # when staff publish version 2 and the member agrees again
    v2_text = consent_text_publish(purpose="email", text_sv="Ny text", text_en="New text")
    assert consent_text_current(purpose="email") == v2_text
    v2 = consent_set(member=member, purpose="email", granted=True, source="portal")

    # then the new agreement is logged against version 2; version 1's stays as it was
    assert v2.pk != v1.pk
    assert (v1.text.version, v2.text.version) == (1, 2)
    assert v2_text.version == 2


@pytest.mark.django_db
def test_granting_without_a_published_text_is_refused():
    # given no published text for profiling (none at all, and one scheduled for tomorrow)
    ConsentText.objects.filter(purpose="profiling").delete()
    ConsentTextFactory(
        purpose="profiling",
        version=9,
        published_at=timezone.now() + datetime.timedelta(days=1),
    )
    member = MemberFactory()

    with pytest.raises(ValidationError) as error:
        consent_set(member=member, purpose="profiling", granted=True, source="portal")

    assert "No consent text" in error.value.message_dict["purpose"][0]
    assert not ConsentEvent.objects.exists()


@pytest.mark.django_db
def test_consent_set_refuses_unknown_purposes_sources_and_erased_members(texts):
    member = MemberFactory()
    with pytest.raises(ValidationError):
        consent_set(member=member, purpose="telepathy", granted=True, source="portal")
    with pytest.raises(ValidationError):
        consent_set(member=member, purpose="email", granted=True, source="rumour")
    erased = MemberFactory(status="erased", erased_at=timezone.now(), email="")
    with pytest.raises(ValidationError):
        consent_set(member=erased, purpose="email", granted=True, source="staff")
    assert not ConsentEvent.objects.exists()


@pytest.mark.django_db
def test_consent_set_many_is_all_or_nothing(texts):
    member = MemberFactory()
    ConsentText.objects.filter(purpose="ad_matching").delete()

    # when one of several choices cannot be granted
    with pytest.raises(ValidationError):
        consent_set_many(
            member=member, choices={"email": True, "ad_matching": True}, source="portal"
        )

    # then none was written
    assert not ConsentEvent.objects.exists()
    written = consent_set_many(member=member, choices={"email": True, "sms": False}, source="api")
    assert [event.purpose for event in written] == ["email"]


@pytest.mark.django_db
def test_consent_granted_q_selects_by_latest_event_in_one_query(texts, django_assert_num_queries):
    # given members with different histories
    granted, withdrawn, never, other_purpose = MemberFactory.create_batch(4)
    consent_set(member=granted, purpose="email", granted=True, source="portal")
    consent_set(member=withdrawn, purpose="email", granted=True, source="portal")
    consent_set(member=withdrawn, purpose="email", granted=False, source="unsubscribe")
    consent_set(member=other_purpose, purpose="sms", granted=True, source="portal")

    # when members are filtered by e-mail consent, and by its absence
    with django_assert_num_queries(1):
        yes = set(Member.objects.filter(consent_granted_q("email")))
    with django_assert_num_queries(1):
        no = set(Member.objects.filter(~consent_granted_q("email")))

    # then only the member whose latest e-mail event is a grant counts; negation is exact
    assert yes == {granted}
    assert no == {withdrawn, never, other_purpose}


@pytest.mark.django_db
def test_latest_event_wins_even_when_written_out_of_order(texts):
    # given a withdrawal imported with an earlier time than a later grant, written first
    member = MemberFactory()
    consent_set(member=member, purpose="email", granted=True, source="portal")
    old = timezone.now() - datetime.timedelta(days=30)
    ConsentEvent.objects.create(
        member=member, purpose="email", granted=False, source="import", created_at=old
    )

    # then the state is the newest by time
    assert consent_current(member=member)["email"] is True
    assert Member.objects.filter(consent_granted_q("email")).count() == 1


@pytest.mark.django_db
def test_consent_choices_show_text_state_and_latest_change(texts, django_assert_num_queries):
    member = MemberFactory()
    consent_set(member=member, purpose="sms", granted=True, source="portal")

    with django_assert_num_queries(2):
        choices = {choice.purpose: choice for choice in consent_choices(member=member)}

    assert list(choices) == list(ConsentPurpose.values)
    assert choices["sms"].granted and choices["sms"].latest.text == texts["sms"]
    assert not choices["email"].granted and choices["email"].latest is None
    assert choices["email"].text_for("sv") == texts["email"].text_sv
    assert choices["email"].text_for("en") == texts["email"].text_en


@pytest.mark.django_db
def test_consent_text_publish_numbers_versions_and_refuses_empty_text(texts):
    with pytest.raises(ValidationError) as error:
        consent_text_publish(purpose="sms", text_sv=" ", text_en="")
    assert set(error.value.message_dict) == {"text_sv", "text_en"}
    assert consent_text_publish(purpose="sms", text_sv="a", text_en="b").version == 2
    assert consent_text_publish(purpose="sms", text_sv="c", text_en="d").version == 3
