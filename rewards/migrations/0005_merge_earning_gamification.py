"""Joins the two rewards branches built side by side (earning rules and gamification)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("rewards", "0003_earning_bonus_activities"),
        ("rewards", "0004_benefits_gamification"),
    ]

    operations = []
