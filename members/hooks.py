"""Hooks other apps register to react to members' events, so members never imports them.

`purchase_recorded_register(func)`: `func(purchase=purchase)` is called for every purchase or
return that members.services.purchases.purchase_record stores, inside the same transaction
(a hook that raises rolls the purchase back). A purchase sent again with the same
(source, external_id) is not stored again and runs no hook. Register in AppConfig.ready().
`purchase_recorded_register(func, batch=batch_func)` adds a set-based variant:
`batch_func(purchases=[...])` is called once for the purchases a batch
(members.services.purchases.purchases_ingest) stores together, in their order, and must give
each the same result as `func` one by one; hooks without one are called per purchase.

`member_activity_register(func)`: `func(member=..., activity=..., cause_key=...)` is called when
a member does something the club may reward, inside the transaction that records it. Members
reports today: "profile_completed" (cause_key "profile", when member_update makes the profile
complete, see members.services.profiles.member_profile_is_complete) and "consent_given"
(cause_key "consent:<purpose>", when a marketing purpose, e-mail or SMS, is granted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from members.models import Member, Purchase

_purchase_recorded: list[Callable[..., object]] = []
_purchase_recorded_batch: dict[Callable[..., object], Callable[..., object]] = {}


def purchase_recorded_register(
    func: Callable[..., object], *, batch: Callable[..., object] | None = None
) -> Callable[..., object]:
    """Call `func(purchase=...)` for every newly recorded purchase (and `batch(purchases=...)`
    instead for a batch, when given). Registering the same function twice has no effect.
    Returns `func`, so it may be used as a decorator."""
    if func not in _purchase_recorded:
        _purchase_recorded.append(func)
    if batch is not None:
        _purchase_recorded_batch[func] = batch
    return func


def purchase_recorded_hooks() -> tuple[Callable[..., object], ...]:
    return tuple(_purchase_recorded)


def purchase_recorded_run(*, purchase: Purchase) -> None:
    """Run every registered hook for a purchase just stored (called by purchase_record)."""
    for func in tuple(_purchase_recorded):
        func(purchase=purchase)


def purchases_recorded_run(*, purchases: Sequence[Purchase]) -> None:
    """Run every registered hook for purchases a batch has just stored, in their order: a
    hook's batch variant once, any other hook once per purchase."""
    if not purchases:
        return
    for func in tuple(_purchase_recorded):
        batch = _purchase_recorded_batch.get(func)
        if batch is not None:
            batch(purchases=purchases)
        else:
            for purchase in purchases:
                func(purchase=purchase)


_member_activity: list[Callable[..., object]] = []


def member_activity_register(func: Callable[..., object]) -> Callable[..., object]:
    """Call `func(member=..., activity=..., cause_key=...)` for every activity members reports.
    Registering the same function twice has no effect. Returns `func`."""
    if func not in _member_activity:
        _member_activity.append(func)
    return func


def member_activity_run(*, member: Member, activity: str, cause_key: str) -> None:
    """Run every registered activity hook (called by members services inside their
    transaction)."""
    for func in tuple(_member_activity):
        func(member=member, activity=activity, cause_key=cause_key)
