"""Hooks higher apps register to take part in a redemption, so rewards never imports them.

`redemption_hook_register(func)`: `func(reward_id=..., member=...)` is called by
`reward_redeem` inside its transaction *before* anything is written. It returns None when the
reward does not concern it, or a function `after(redemption)` that rewards calls once the
redemption is made (or found again for a repeated key), in the same transaction. `func` may
raise ValidationError to refuse the redemption: nothing has been written yet, so nothing is
spent and the caller gets the hook's message. Events uses it to take a seat at the event an
"experience" reward points at (locking the event before the points account, the same order as
registering for an event with a points price). `after` must be idempotent. Register in
AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable

After = Callable[..., object]
Hook = Callable[..., After | None]

_redemption_hooks: list[Hook] = []


def redemption_hook_register(func: Hook) -> Hook:
    if func not in _redemption_hooks:
        _redemption_hooks.append(func)
    return func


def redemption_hook_unregister(func: Hook) -> None:
    if func in _redemption_hooks:
        _redemption_hooks.remove(func)


def redemption_hooks() -> tuple[Hook, ...]:
    return tuple(_redemption_hooks)
