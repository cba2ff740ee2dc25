from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def register_purchase_hook() -> bool:
    """Earn points for every purchase members record (members.hooks calls the registered
    functions inside the purchase's transaction). False while members.hooks does not exist."""
    try:
        from members.hooks import purchase_recorded_register
    except ImportError:
        return False
    from rewards.services.earning import points_earn_for_purchase

    purchase_recorded_register(points_earn_for_purchase)
    return True


class RewardsConfig(AppConfig):
    name = "rewards"
    verbose_name = _("Rewards")

    def ready(self) -> None:
        from core.navigation import portal_nav_register

        portal_nav_register(label=_("My points"), url_name="rewards:points", order=40)
        portal_nav_register(label=_("Rewards"), url_name="rewards:catalogue", order=41)
        register_purchase_hook()

        from rewards import integrations

        integrations.register()
