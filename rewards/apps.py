from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def register_purchase_hook() -> bool:
    """Earn points for every purchase members record (members.hooks calls the registered
    functions inside the purchase's transaction). False while members.hooks does not exist."""
    try:
        from members.hooks import purchase_recorded_register
    except ImportError:
        return False
    from rewards.services.earning import points_earn_for_purchase, points_earn_for_purchases

    purchase_recorded_register(points_earn_for_purchase, batch=points_earn_for_purchases)
    return True


def register_gamification_hook() -> None:
    """Check the buyer's badges and challenges after each purchase is committed."""
    from members.hooks import purchase_recorded_register
    from rewards.tasks import gamification_award_after_purchase, gamification_award_after_purchases

    purchase_recorded_register(
        gamification_award_after_purchase, batch=gamification_award_after_purchases
    )


def register_activity_hook() -> None:
    """Earn activity points when members reports an activity (profile completed, consent)."""
    from members.hooks import member_activity_register
    from rewards.services.activities import points_earn_for_member_activity

    member_activity_register(points_earn_for_member_activity)


class RewardsConfig(AppConfig):
    name = "rewards"
    verbose_name = _("Rewards")

    def ready(self) -> None:
        from core.navigation import portal_nav_register

        portal_nav_register(label=_("My points"), url_name="rewards:points", order=40)
        portal_nav_register(label=_("Rewards"), url_name="rewards:catalogue", order=41)
        register_purchase_hook()
        register_gamification_hook()
        register_activity_hook()

        from rewards import integrations

        integrations.register()
