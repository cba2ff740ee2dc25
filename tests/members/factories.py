from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from members.models import User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"medlem{n}@example.se")
    first_name = factory.Faker("first_name", locale="sv_SE")
    last_name = factory.Faker("last_name", locale="sv_SE")
    language = "sv"
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """A verified primary e-mail, as allauth requires (pass verified=False to skip)."""
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"personal{n}@example.se")
    is_staff = True


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "members.Store"
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"butik-{n}")
    name = factory.Sequence(lambda n: f"Butik {n}")
    city = "Stockholm"
    is_online = False


class InterestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "members.Interest"
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Intresse {n}")
    slug = factory.Sequence(lambda n: f"intresse-{n}")


class MemberFactory(factory.django.DjangoModelFactory):
    """A member without a login (pass user=... to link one)."""

    class Meta:
        model = "members.Member"

    number = factory.Sequence(lambda n: f"{10000000 + n}")
    first_name = factory.Faker("first_name", locale="sv_SE")
    last_name = factory.Faker("last_name", locale="sv_SE")
    email = factory.Sequence(lambda n: f"kund{n}@example.se")
    phone = factory.Sequence(lambda n: f"+4670{1000000 + n}")
    postcode = "11122"
    city = "Stockholm"
    language = "sv"
    source = "store"


class ConsentTextFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "members.ConsentText"
        django_get_or_create = ["purpose", "version"]

    purpose = "email"
    version = 1
    text_sv = "Ja, jag vill få klubbens nyhetsbrev och erbjudanden via e-post."
    text_en = "Yes, I want the club's newsletter and offers by e-mail."


class ConsentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "members.ConsentEvent"

    member = factory.SubFactory(MemberFactory)
    purpose = "email"
    granted = True
    text = factory.SubFactory(ConsentTextFactory, purpose=factory.SelfAttribute("..purpose"))
    source = "portal"


class PurchaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "members.Purchase"

    member = factory.SubFactory(MemberFactory)
    purchased_at = factory.LazyFunction(timezone.now)
    amount = Decimal("499.00")
    currency = "SEK"
    channel = "store"
    store = factory.SubFactory(StoreFactory)
    source = "pos"
    external_id = factory.Sequence(lambda n: f"kvitto-{n}")


class PurchaseLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "members.PurchaseLine"

    purchase = factory.SubFactory(PurchaseFactory)
    product = "Löparsko"
    category = "Skor"
    quantity = Decimal("1")
    amount = Decimal("499.00")


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "members.Segment"

    name = factory.Sequence(lambda n: f"Segment {n}")
    rules = factory.LazyFunction(lambda: {"op": "and", "rules": []})
