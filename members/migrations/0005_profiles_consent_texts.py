"""Version 1 of the consent texts, one per purpose, in Swedish and English.

A member grants a consent only against a published text (members.services.consent.consent_set),
so the club starts with these. Later wording is a new version added in the admin, never an edit.
"""

from django.db import migrations

TEXTS = {
    "email": (
        "Ja, jag vill få klubbens nyhetsbrev, inbjudningar och erbjudanden via e-post. Jag kan "
        "när som helst ångra mig i mina inställningar eller via länken i varje utskick.",
        "Yes, I want the club's newsletter, invitations and offers by e-mail. I can change my "
        "mind at any time in my preferences or through the link in every message.",
    ),
    "sms": (
        "Ja, jag vill få påminnelser och erbjudanden från klubben via sms till mitt mobilnummer. "
        "Jag kan när som helst ångra mig i mina inställningar eller genom att svara STOPP.",
        "Yes, I want reminders and offers from the club by text message to my mobile number. I "
        "can change my mind at any time in my preferences or by replying STOP.",
    ),
    "profiling": (
        "Ja, klubben får använda mina köp, intressen och min aktivitet för att anpassa erbjudanden "
        "och innehåll till mig. Utan detta samtycke får jag samma utskick som alla andra.",
        "Yes, the club may use my purchases, interests and activity to tailor offers and content "
        "to me. Without this consent I get the same messages as everyone else.",
    ),
    "ad_matching": (
        "Ja, klubben får skicka en krypterad (hashad) version av min e-postadress och mitt "
        "mobilnummer till annonsplattformar för att visa mig, eller personer som liknar mig, "
        "relevant reklam. Inga andra uppgifter lämnas ut.",
        "Yes, the club may send an encrypted (hashed) form of my e-mail address and mobile "
        "number to advertising platforms to show me, or people like me, relevant ads. No other "
        "data is shared.",
    ),
}


def create_texts(apps, schema_editor):
    consent_text = apps.get_model("members", "ConsentText")
    for purpose, (text_sv, text_en) in TEXTS.items():
        consent_text.objects.get_or_create(
            purpose=purpose, version=1, defaults={"text_sv": text_sv, "text_en": text_en}
        )


def remove_unused_texts(apps, schema_editor):
    consent_text = apps.get_model("members", "ConsentText")
    consent_event = apps.get_model("members", "ConsentEvent")
    used = consent_event.objects.filter(text__isnull=False).values("text_id")
    consent_text.objects.filter(version=1, purpose__in=TEXTS).exclude(pk__in=used).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_crm_roles"),
    ]

    operations = [migrations.RunPython(create_texts, remove_unused_texts)]
