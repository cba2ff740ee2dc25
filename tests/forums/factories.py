import factory
from django.contrib.auth.models import Group

from forums.models import Category, ForumProfile
from forums.permissions import viewer_for_user
from forums.services.posting import reply_create, topic_create
from members.roles import MODERATOR
from tests.members.factories import MemberFactory, StaffFactory, UserFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Kategori {n}")
    slug = factory.Sequence(lambda n: f"kategori-{n}")
    description = "Frågor och svar"


_names = iter(range(1, 10**6))


def forum_member(*, trust_level=1, display_name=None, language="sv", **member_fields):
    """A member with a login and a forum profile (display name chosen)."""
    user = UserFactory(language=language)
    member = MemberFactory(user=user, email=user.email, language=language, **member_fields)
    ForumProfile.objects.create(
        member=member,
        display_name=display_name or f"medlem{next(_names)}",
        trust_level=trust_level,
    )
    return member


def moderator_user():
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=MODERATOR))
    return user


def viewer(member_or_user):
    user = getattr(member_or_user, "user", member_or_user)
    return viewer_for_user(user)


def question(
    *,
    author=None,
    category=None,
    title="Hur sköter jag läderskorna?",
    body="Tips?",
    kind="question",
):
    author = author or forum_member(trust_level=3)
    category = category or CategoryFactory()
    return topic_create(
        viewer=viewer(author), category=category, title=title, source=body, kind=kind
    )


def answer(topic, *, author=None, body="Använd läderfett."):
    author = author or forum_member(trust_level=3)
    return reply_create(viewer=viewer(author), topic=topic, source=body)
