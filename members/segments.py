"""Segments: an open registry of rule fields and the compiler from rules to one `Q` over Member.

Rules are JSON, stored on `Segment.rules`::

    {"op": "and", "rules": [
        {"field": "spend", "operator": "gt", "value": "500", "params": {"days": 90}},
        {"field": "consent_email", "operator": "is", "value": true},
        {"op": "or", "rules": [...]},
    ]}

A group is ``{"op": "and" | "or", "rules": [...]}``, nested at most MAX_DEPTH deep (the top group
is depth 1), with at most MAX_RULES rules in all. A rule names a registered `SegmentField`, one of
its operators, a value fitting the field's kind and operator, and the field's optional params
(e.g. ``{"days": 90}``: only purchases in the last 90 days; no days means "ever"). An empty
group matches everyone.

Every field's builder returns a `Q` made of plain lookups, `Exists`, `Subquery` or lookups over
expressions, never Python-side filtering, so a whole segment is one SQL query
(`members.selectors.segments.segment_members`).

Other apps add their own fields from their AppConfig.ready() with `segment_field_register`
(rewards: tier and points), so `members` never imports them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from members.models import (
    ConsentEvent,
    ConsentPurpose,
    Interest,
    Member,
    MemberScore,
    Purchase,
    PurchaseLine,
    Store,
)

MAX_DEPTH = 3
MAX_RULES = 50
MAX_DAYS = 3650
MAX_TEXT = 200

Builder = Callable[[str, Any, dict[str, Any]], Q]
Choices = Callable[[], Iterable[tuple[Any, Any]]]

# --- Kinds and operators ---------------------------------------------------------------------

NUMBER = "number"
DECIMAL = "decimal"
CHOICE = "choice"
MULTICHOICE = "multichoice"
BOOLEAN = "boolean"
DATE = "date"
TEXT = "text"
KINDS = (NUMBER, DECIMAL, CHOICE, MULTICHOICE, BOOLEAN, DATE, TEXT)

OPERATOR_LABELS: dict[str, Any] = {
    "eq": _("is"),
    "ne": _("is not"),
    "gt": _("more than"),
    "gte": _("at least"),
    "lt": _("less than"),
    "lte": _("at most"),
    "between": _("between"),
    "in": _("is one of"),
    "not_in": _("is none of"),
    "any": _("any of"),
    "all": _("all of"),
    "none": _("none of"),
    "is": _("is"),
    "before": _("before"),
    "after": _("on or after"),
    "last_days": _("in the last … days"),
    "starts_with": _("starts with"),
    "contains": _("contains"),
}

NUMERIC_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "between")
DEFAULT_OPERATORS: dict[str, tuple[str, ...]] = {
    NUMBER: NUMERIC_OPERATORS,
    DECIMAL: NUMERIC_OPERATORS,
    CHOICE: ("in", "not_in"),
    MULTICHOICE: ("any", "all", "none"),
    BOOLEAN: ("is",),
    DATE: ("before", "after", "between", "last_days"),
    TEXT: ("eq", "ne", "starts_with", "contains"),
}

# Operators whose value is a list, and the pair of `between`.
LIST_OPERATORS = {"in", "not_in", "any", "all", "none"}

PARAM_LABELS: dict[str, Any] = {"days": _("in the last … days (empty: ever)")}


@dataclass(frozen=True)
class SegmentField:
    """One thing a rule can test.

    kind decides how a value is read and checked (number, decimal, choice, multichoice,
    boolean, date, text); `operators` is a subset of the kind's; `choices` (for choice and
    multichoice) is called when validating and when the builder page is drawn, so it may read
    the database; `params` maps a param name to its type (only `int` today, e.g. {"days": int})
    and params are optional; `builder(operator, value, params)` gets the cleaned Python value
    (int, Decimal, date, str, bool, a list of those, or a (low, high) pair for between) and the
    cleaned params, plus `now` in params["now"], and returns a Q over Member.
    """

    key: str
    label: Any
    group: Any
    kind: str
    builder: Builder
    operators: tuple[str, ...] = ()
    choices: Choices | None = None
    params: dict[str, type] = field(default_factory=dict)
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None
    help_text: Any = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown segment field kind {self.kind!r}.")
        if not self.operators:
            object.__setattr__(self, "operators", DEFAULT_OPERATORS[self.kind])
        unknown = set(self.operators) - set(OPERATOR_LABELS)
        if unknown:
            raise ValueError(f"Unknown operators {sorted(unknown)} for field {self.key!r}.")

    def choice_list(self) -> list[tuple[str, str]]:
        if self.choices is None:
            return []
        return [(str(value), str(label)) for value, label in self.choices()]


_REGISTRY: dict[str, SegmentField] = {}


def segment_field_register(segment_field: SegmentField) -> SegmentField:
    """Add a field to the registry (from an AppConfig.ready()). Registering the same key again
    replaces the field, so a reloaded app does not fail."""
    _REGISTRY[segment_field.key] = segment_field
    return segment_field


def segment_field_unregister(key: str) -> None:
    _REGISTRY.pop(key, None)


def segment_fields() -> list[SegmentField]:
    """The registered fields in registration order."""
    return list(_REGISTRY.values())


def segment_field_get(key: str) -> SegmentField | None:
    return _REGISTRY.get(key)


def segment_registry_json() -> list[dict[str, Any]]:
    """The registry as plain data for the builder page (json_script)."""
    return [
        {
            "key": f.key,
            "label": str(f.label),
            "group": str(f.group),
            "kind": f.kind,
            "operators": [{"value": op, "label": str(OPERATOR_LABELS[op])} for op in f.operators],
            "choices": [{"value": v, "label": label} for v, label in f.choice_list()],
            "params": [
                {"name": name, "label": str(PARAM_LABELS.get(name, name)), "type": "int"}
                for name in f.params
            ],
            "help": str(f.help_text),
        }
        for f in segment_fields()
    ]


# --- Validation ------------------------------------------------------------------------------


class _Invalid(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def _parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _Invalid(_("enter a whole number"))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _Invalid(_("enter a whole number"))


def _parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise _Invalid(_("enter a number, e.g. 500 or 0.5"))
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise _Invalid(_("enter a number, e.g. 500 or 0.5")) from None
    if not number.is_finite():
        raise _Invalid(_("enter a number, e.g. 500 or 0.5"))
    return number


def _parse_date(value: Any) -> datetime.date:
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Invalid(_("enter a date as YYYY-MM-DD"))


def _in_range(f: SegmentField, number: Any) -> None:
    if f.minimum is not None and number < f.minimum:
        raise _Invalid(_("the value must be at least %(min)s") % {"min": f.minimum})
    if f.maximum is not None and number > f.maximum:
        raise _Invalid(_("the value must be at most %(max)s") % {"max": f.maximum})


def _parse_scalar(f: SegmentField, kind: str, value: Any) -> Any:
    if kind == NUMBER:
        number = _parse_int(value)
        _in_range(f, number)
        return number
    if kind == DECIMAL:
        amount = _parse_decimal(value)
        _in_range(f, amount)
        return amount
    if kind == DATE:
        return _parse_date(value)
    raise AssertionError(kind)  # pragma: no cover


def _parse_choice(f: SegmentField, value: Any, allowed: set[str] | None) -> str:
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
    if text is None or (allowed is not None and text not in allowed):
        raise _Invalid(_("“%(value)s” is not one of the choices") % {"value": value})
    return text


def _parse_value(f: SegmentField, operator: str, value: Any, *, check_choices: bool = True) -> Any:
    """The cleaned Python value of a rule, or _Invalid with what is wrong. Without
    check_choices, choice values are not looked up (no query; an unknown one matches nobody)."""
    kind = f.kind
    if operator == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise _Invalid(_("give two values, the lowest and the highest"))
        low, high = (_parse_scalar(f, kind, v) for v in value)
        if low > high:
            raise _Invalid(_("the first value must not be greater than the second"))
        return (low, high)
    if kind == DATE and operator == "last_days":
        days = _parse_int(value)
        if not 1 <= days <= MAX_DAYS:
            raise _Invalid(_("the number of days must be from 1 to %(max)d") % {"max": MAX_DAYS})
        return days
    if kind in (NUMBER, DECIMAL, DATE):
        return _parse_scalar(f, kind, value)
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            raise _Invalid(_("choose yes or no"))
        return value
    if kind == TEXT:
        if not isinstance(value, str) or not value.strip():
            raise _Invalid(_("enter some text"))
        if len(value) > MAX_TEXT:
            raise _Invalid(_("the text may be at most %(max)d characters") % {"max": MAX_TEXT})
        return value.strip()
    allowed = {v for v, _label in f.choice_list()} if check_choices else None
    if operator in LIST_OPERATORS or kind == MULTICHOICE:
        items = value if isinstance(value, list | tuple) else None
        if not items:
            raise _Invalid(_("choose at least one value"))
        cleaned: list[str] = []
        for item in items:
            choice = _parse_choice(f, item, allowed)
            if choice not in cleaned:
                cleaned.append(choice)
        return cleaned
    return _parse_choice(f, value, allowed)


def _to_json(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _parse_params(f: SegmentField, params: Any) -> dict[str, Any]:
    if params in (None, ""):
        return {}
    if not isinstance(params, dict):
        raise _Invalid(_("the params must be an object"))
    cleaned: dict[str, Any] = {}
    for name, raw in params.items():
        if name not in f.params:
            raise _Invalid(_("this field takes no param “%(name)s”") % {"name": name})
        if raw in (None, ""):
            continue
        number = _parse_int(raw) if f.params[name] is int else raw
        if name == "days" and not 1 <= number <= MAX_DAYS:
            raise _Invalid(_("the number of days must be from 1 to %(max)d") % {"max": MAX_DAYS})
        cleaned[name] = number
    return cleaned


def _path_label(path: tuple[int, ...]) -> str:
    return ".".join(str(i) for i in path) or "0"


@dataclass
class _Walk:
    check_choices: bool = True
    errors: list[ValidationError] = field(default_factory=list)
    count: int = 0


def _clean_group(node: Any, path: tuple[int, ...], depth: int, walk: _Walk) -> dict[str, Any]:
    where = _path_label(path)
    if not isinstance(node, dict) or "rules" not in node:
        walk.errors.append(
            ValidationError(
                _("Group %(path)s must be an object with “op” and “rules”.") % {"path": where}
                if path
                else _("The rules must be an object with “op” (“and” or “or”) and “rules”."),
                code="shape",
            )
        )
        return {"op": "and", "rules": []}
    op = node.get("op", "and")
    if op not in ("and", "or"):
        walk.errors.append(
            ValidationError(
                _("Group %(path)s: “op” must be “and” or “or”, not “%(op)s”.")
                % {"path": where, "op": op},
                code="op",
            )
        )
        op = "and"
    if depth > MAX_DEPTH:
        walk.errors.append(
            ValidationError(
                _("Group %(path)s is nested too deep: groups may be nested at most %(max)d levels.")
                % {"path": where, "max": MAX_DEPTH},
                code="depth",
            )
        )
        return {"op": op, "rules": []}
    children = node.get("rules")
    if not isinstance(children, list):
        walk.errors.append(
            ValidationError(
                _("Group %(path)s: “rules” must be a list.") % {"path": where}, code="shape"
            )
        )
        return {"op": op, "rules": []}
    cleaned_children = []
    for index, child in enumerate(children, start=1):
        child_path = (*path, index)
        if isinstance(child, dict) and "field" not in child and "rules" in child:
            cleaned_children.append(_clean_group(child, child_path, depth + 1, walk))
        else:
            cleaned = _clean_rule(child, child_path, walk)
            if cleaned is not None:
                cleaned_children.append(cleaned)
    return {"op": op, "rules": cleaned_children}


def _clean_rule(node: Any, path: tuple[int, ...], walk: _Walk) -> dict[str, Any] | None:
    walk.count += 1
    where = _path_label(path)
    if not isinstance(node, dict) or not node.get("field"):
        walk.errors.append(
            ValidationError(
                _("Rule %(path)s: choose a field.") % {"path": where}, code="field_missing"
            )
        )
        return None
    key = node["field"]
    f = segment_field_get(str(key))
    if f is None:
        walk.errors.append(
            ValidationError(
                _("Rule %(path)s: unknown field “%(field)s”.") % {"path": where, "field": key},
                code="field_unknown",
            )
        )
        return None
    operator = node.get("operator")
    if operator not in f.operators:
        walk.errors.append(
            ValidationError(
                _(
                    "Rule %(path)s (%(label)s): the operator “%(operator)s” does not apply; "
                    "use one of: %(choices)s."
                )
                % {
                    "path": where,
                    "label": f.label,
                    "operator": operator,
                    "choices": ", ".join(f"{op} ({OPERATOR_LABELS[op]})" for op in f.operators),
                },
                code="operator",
            )
        )
        return None
    try:
        value = _parse_value(f, operator, node.get("value"), check_choices=walk.check_choices)
        params = _parse_params(f, node.get("params"))
    except _Invalid as invalid:
        walk.errors.append(
            ValidationError(
                _("Rule %(path)s (%(label)s): %(problem)s.")
                % {"path": where, "label": f.label, "problem": invalid.message},
                code="value",
            )
        )
        return None
    rule: dict[str, Any] = {"field": f.key, "operator": operator, "value": _to_json(value)}
    if params:
        rule["params"] = params
    return rule


def segment_rules_validate(rules: Any) -> dict[str, Any]:
    """Check `rules` and return them normalised (values as canonical JSON: decimals and dates
    as strings, lists without duplicates, empty params dropped). Raises ValidationError with
    one translated message per problem, naming the rule by its position ("Rule 2.1" is the
    first rule of the second item)."""
    return _validate(rules, check_choices=True)


def _validate(rules: Any, *, check_choices: bool) -> dict[str, Any]:
    walk = _Walk(check_choices=check_choices)
    cleaned = _clean_group(rules, (), 1, walk)
    if walk.count > MAX_RULES:
        walk.errors.insert(
            0,
            ValidationError(
                _("A segment may have at most %(max)d rules; this one has %(count)d.")
                % {"max": MAX_RULES, "count": walk.count},
                code="too_many",
            ),
        )
    if walk.errors:
        raise ValidationError(walk.errors)
    return cleaned


# --- Compiler --------------------------------------------------------------------------------


def _build(node: dict[str, Any], now: datetime.datetime) -> Q:
    if "field" in node:
        f = _REGISTRY[node["field"]]
        value = _parse_value(f, node["operator"], node.get("value"), check_choices=False)
        params = _parse_params(f, node.get("params"))
        params["now"] = now
        return f.builder(node["operator"], value, params)
    parts = [_build(child, now) for child in node["rules"]]
    if not parts:
        return Q()
    combined = parts[0]
    for part in parts[1:]:
        combined = combined | part if node["op"] == "or" else combined & part
    # Wrap so an OR group keeps its parentheses when combined with its siblings.
    return Q(combined)


def segment_q(rules: Any, *, now: datetime.datetime | None = None) -> Q:
    """The rules as one Q over Member, without running any query. They are checked first
    (ValidationError when malformed) except that choice values read from the database (stores,
    interests, categories) are not looked up: an unknown one simply matches nobody; services
    run segment_rules_validate, which does look them up, before saving. `now` anchors "in the
    last N days" (default: the current time)."""
    cleaned = _validate(rules, check_choices=False)
    return _build(cleaned, now or timezone.now())


# --- Building blocks for fields --------------------------------------------------------------

_LOOKUPS = {"eq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}


def compare_q(path: str, operator: str, value: Any) -> Q:
    """`path` (a lookup path such as "score__recency_score") compared with a numeric/date
    operator: eq, ne, gt, gte, lt, lte, between."""
    if operator == "between":
        return Q(**{f"{path}__range": value})
    if operator == "ne":
        return Q(**{f"{path}__isnull": False}) & ~Q(**{path: value})
    return Q(**{f"{path}__{_LOOKUPS[operator]}": value})


def holds(operator: str, value: Any, number: Any) -> bool:
    """Whether `number` satisfies `operator value` (used for a member with no rows)."""
    if operator == "between":
        return value[0] <= number <= value[1]
    return {
        "eq": number == value,
        "ne": number != value,
        "gt": number > value,
        "gte": number >= value,
        "lt": number < value,
        "lte": number <= value,
    }[operator]


def _since(params: dict[str, Any]) -> datetime.datetime | None:
    days = params.get("days")
    return params["now"] - datetime.timedelta(days=days) if days else None


def _purchases_in_window(params: dict[str, Any]):
    purchases = Purchase.objects.filter(purchased_at__lte=params["now"])
    since = _since(params)
    if since is not None:
        purchases = purchases.filter(purchased_at__gte=since)
    return purchases


def aggregate_per_member_q(purchases, aggregate, operator: str, value: Any, zero: Any) -> Q:
    """Members whose aggregate over `purchases` (grouped per member, no rows counting as
    `zero`) satisfies `operator value`, set-based: an IN (or NOT IN) over one grouped
    subquery that the database can hash, rather than a correlated subquery per member."""
    grouped = purchases.values("member_id").annotate(total=aggregate)
    if holds(operator, value, zero):
        # Members without rows qualify too: everyone but those whose total fails the test.
        failing = grouped.exclude(**_total_filter(operator, value))
        return ~Q(pk__in=failing.values("member_id"))
    return Q(pk__in=grouped.filter(**_total_filter(operator, value)).values("member_id"))


def _total_filter(operator: str, value: Any) -> dict[str, Any]:
    if operator == "between":
        return {"total__range": value}
    if operator == "ne":
        raise AssertionError("ne is built from exclude")  # pragma: no cover
    return {f"total__{_LOOKUPS[operator]}": value}


def _aggregate_q(purchases, aggregate, operator: str, value: Any, zero: Any) -> Q:
    if operator == "ne":
        return ~aggregate_per_member_q(purchases, aggregate, "eq", value, zero)
    return aggregate_per_member_q(purchases, aggregate, operator, value, zero)


def _spend(operator: str, value: Any, params: dict[str, Any]) -> Q:
    total = Sum("amount", output_field=DecimalField(max_digits=14, decimal_places=2))
    return _aggregate_q(_purchases_in_window(params), total, operator, value, Decimal(0))


def _purchase_count(operator: str, value: Any, params: dict[str, Any]) -> Q:
    orders = _purchases_in_window(params).filter(original__isnull=True)
    return _aggregate_q(orders, Count("id"), operator, value, 0)


def _orders_exist(**filters: Any) -> Exists:
    return Exists(Purchase.objects.filter(member=OuterRef("pk"), original__isnull=True, **filters))


def _days_since_last_purchase(operator: str, value: Any, params: dict[str, Any]) -> Q:
    """Whole days since the latest order; members who never bought do not match."""
    now = params["now"]

    def bought_after(days: int) -> Exists:  # an order later than `days` days ago
        return _orders_exist(
            purchased_at__gt=now - datetime.timedelta(days=days), purchased_at__lte=now
        )

    def at_least(days: int) -> Q:  # last order at least `days` days ago
        return Q(_orders_exist(purchased_at__lte=now - datetime.timedelta(days=days))) & ~Q(
            bought_after(days)
        )

    def less_than(days: int) -> Q:
        return Q(bought_after(days))

    if operator == "between":
        low, high = value
        return at_least(low) & less_than(high + 1)
    if operator == "eq":
        return at_least(value) & less_than(value + 1)
    if operator == "ne":
        return Q(_orders_exist(purchased_at__lte=now)) & ~(at_least(value) & less_than(value + 1))
    return {
        "gte": lambda: at_least(value),
        "gt": lambda: at_least(value + 1),
        "lt": lambda: less_than(value),
        "lte": lambda: less_than(value + 1),
    }[operator]()


def _window_filters(params: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    filters: dict[str, Any] = {f"{prefix}purchased_at__lte": params["now"]}
    since = _since(params)
    if since is not None:
        filters[f"{prefix}purchased_at__gte"] = since
    return filters


def _channel(operator: str, value: Any, params: dict[str, Any]) -> Q:
    bought = Q(_orders_exist(channel__in=value, **_window_filters(params)))
    return bought if operator == "in" else ~bought


def _store(operator: str, value: Any, params: dict[str, Any]) -> Q:
    window = _window_filters(params)
    if operator == "all":
        q = Q()
        for code in value:
            q &= Q(_orders_exist(store__code=code, **window))
        return q
    bought = Q(_orders_exist(store__code__in=value, **window))
    return bought if operator == "any" else ~bought


def _category(operator: str, value: Any, params: dict[str, Any]) -> Q:
    window = _window_filters(params, prefix="purchase__")

    def exists(categories: list[str]) -> Q:
        return Q(
            Exists(
                PurchaseLine.objects.filter(
                    purchase__member=OuterRef("pk"),
                    purchase__original__isnull=True,
                    category__in=categories,
                    **window,
                )
            )
        )

    if operator == "all":
        q = Q()
        for category in value:
            q &= exists([category])
        return q
    return exists(value) if operator == "any" else ~exists(value)


def _choice_field(path: str) -> Builder:
    def build(operator: str, value: Any, params: dict[str, Any]) -> Q:
        q = Q(**{f"{path}__in": value})
        return q if operator == "in" else ~q

    return build


def _text_field(path: str, *, normalise: Callable[[str], str] = str) -> Builder:
    def build(operator: str, value: Any, params: dict[str, Any]) -> Q:
        value = normalise(value)
        if operator == "eq":
            return Q(**{f"{path}__iexact": value})
        if operator == "ne":
            return ~Q(**{f"{path}__iexact": value})
        if operator == "starts_with":
            return Q(**{f"{path}__istartswith": value})
        return Q(**{f"{path}__icontains": value})

    return build


def _compare_field(path: str) -> Builder:
    def build(operator: str, value: Any, params: dict[str, Any]) -> Q:
        return compare_q(path, operator, value)

    return build


def _years_ago(today: datetime.date, years: int) -> datetime.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _age(operator: str, value: Any, params: dict[str, Any]) -> Q:
    """Age in whole years today, from the birth date; members without one do not match."""
    today = timezone.localdate(params["now"])

    def at_least(age: int) -> Q:
        return Q(birth_date__lte=_years_ago(today, age))

    def at_most(age: int) -> Q:
        return Q(birth_date__gt=_years_ago(today, age + 1))

    if operator == "between":
        return at_least(value[0]) & at_most(value[1])
    if operator == "eq":
        return at_least(value) & at_most(value)
    if operator == "ne":
        return Q(birth_date__isnull=False) & ~(at_least(value) & at_most(value))
    return {
        "gte": lambda: at_least(value),
        "gt": lambda: at_least(value + 1),
        "lte": lambda: at_most(value),
        "lt": lambda: at_most(value - 1),
    }[operator]()


def _birth_month(operator: str, value: Any, params: dict[str, Any]) -> Q:
    q = Q(birth_date__month__in=[int(v) for v in value])
    return q if operator == "in" else Q(birth_date__isnull=False) & ~q


def _joined(operator: str, value: Any, params: dict[str, Any]) -> Q:
    """Member since, compared by local calendar day."""
    if operator == "last_days":
        return Q(joined_at__gte=params["now"] - datetime.timedelta(days=value))
    if operator == "before":
        return Q(joined_at__date__lt=value)
    if operator == "after":
        return Q(joined_at__date__gte=value)
    return Q(joined_at__date__range=value)


def _interests(operator: str, value: Any, params: dict[str, Any]) -> Q:
    through = Member.interests.through

    def having(slugs: list[str]) -> Q:
        return Q(Exists(through.objects.filter(member_id=OuterRef("pk"), interest__slug__in=slugs)))

    if operator == "all":
        q = Q()
        for slug in value:
            q &= having([slug])
        return q
    return having(value) if operator == "any" else ~having(value)


def consent_q(purpose: str) -> Q:
    """Members whose latest consent event for `purpose` is a grant: one EXISTS over the log.

    The same query as members.selectors.consent.consent_granted_q, written here so this
    registry (used by services and selectors alike) depends on models only."""
    if purpose not in ConsentPurpose.values:
        raise ValueError(f"Unknown consent purpose {purpose!r}.")
    latest = Subquery(
        ConsentEvent.objects.filter(member=OuterRef(OuterRef("pk")), purpose=purpose)
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    return Q(Exists(ConsentEvent.objects.filter(pk=latest, granted=True)))


def _consent(purpose: str) -> Builder:
    def build(operator: str, value: Any, params: dict[str, Any]) -> Q:
        q = consent_q(purpose)
        return q if value else ~q

    return build


def _present(path: str) -> Builder:
    def build(operator: str, value: Any, params: dict[str, Any]) -> Q:
        q = ~Q(**{path: ""})
        return q if value else ~q

    return build


def _score_choice(path: str) -> Builder:
    return _choice_field(f"score__{path}")


# --- Choices ---------------------------------------------------------------------------------


def _languages():
    return settings.LANGUAGES


def _statuses():
    return [(v, label) for v, label in Member.Status.choices if v != Member.Status.ERASED]


def _stores():
    return Store.objects.order_by("name").values_list("code", "name")


def _interest_choices():
    return Interest.objects.order_by("name").values_list("slug", "name")


def _categories():
    categories = (
        PurchaseLine.objects.exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )
    return [(c, c) for c in categories]


def _months():
    return [(str(m), MONTHS[m]) for m in range(1, 13)]


# --- The members app's own fields ------------------------------------------------------------

PROFILE = _("Profile")
CONSENT = _("Consent")
PURCHASES = _("Purchases")
SCORES = _("Scores")
DAYS: dict[str, type] = {"days": int}


def _register_member_fields() -> None:
    register = segment_field_register
    register(
        SegmentField(
            "language",
            _("language"),
            PROFILE,
            CHOICE,
            _choice_field("language"),
            choices=_languages,
        )
    )
    register(SegmentField("city", _("city"), PROFILE, TEXT, _text_field("city")))
    register(
        SegmentField(
            "postcode",
            _("postcode"),
            PROFILE,
            TEXT,
            _text_field("postcode", normalise=lambda v: "".join(v.split()).upper()),
            operators=("starts_with", "eq", "ne"),
            help_text=_("Starts with 11 matches 113 50, 114 20 …"),
        )
    )
    register(
        SegmentField(
            "status", _("status"), PROFILE, CHOICE, _choice_field("status"), choices=_statuses
        )
    )
    register(
        SegmentField(
            "source",
            _("joined through"),
            PROFILE,
            CHOICE,
            _choice_field("source"),
            choices=lambda: Member.Source.choices,
        )
    )
    register(
        SegmentField(
            "preferred_store",
            _("preferred store"),
            PROFILE,
            CHOICE,
            _choice_field("preferred_store__code"),
            choices=_stores,
        )
    )
    register(
        SegmentField(
            "age",
            _("age"),
            PROFILE,
            NUMBER,
            _age,
            minimum=0,
            maximum=130,
            help_text=_("In whole years today, from the birth date."),
        )
    )
    register(
        SegmentField(
            "birth_month", _("birth month"), PROFILE, CHOICE, _birth_month, choices=_months
        )
    )
    register(SegmentField("joined", _("member since"), PROFILE, DATE, _joined))
    register(
        SegmentField(
            "interests",
            _("interests"),
            PROFILE,
            MULTICHOICE,
            _interests,
            choices=_interest_choices,
        )
    )
    register(
        SegmentField("has_email", _("has an e-mail address"), PROFILE, BOOLEAN, _present("email"))
    )
    register(
        SegmentField("has_phone", _("has a mobile phone"), PROFILE, BOOLEAN, _present("phone"))
    )

    for purpose, label in ConsentPurpose.choices:
        register(
            SegmentField(
                f"consent_{purpose}",
                label,
                CONSENT,
                BOOLEAN,
                _consent(purpose),
                help_text=_("Granted: the latest change in the consent log is a grant."),
            )
        )

    register(
        SegmentField(
            "spend",
            _("spend (SEK, returns subtracted)"),
            PURCHASES,
            DECIMAL,
            _spend,
            params=DAYS,
        )
    )
    register(
        SegmentField(
            "purchase_count",
            _("number of purchases"),
            PURCHASES,
            NUMBER,
            _purchase_count,
            params=DAYS,
            minimum=0,
        )
    )
    register(
        SegmentField(
            "days_since_last_purchase",
            _("days since the last purchase"),
            PURCHASES,
            NUMBER,
            _days_since_last_purchase,
            minimum=0,
            maximum=36500,
            help_text=_("Members who never bought do not match."),
        )
    )
    register(
        SegmentField(
            "channel",
            _("bought in channel"),
            PURCHASES,
            CHOICE,
            _channel,
            choices=lambda: Purchase.Channel.choices,
            params=DAYS,
        )
    )
    register(
        SegmentField(
            "store",
            _("bought in store"),
            PURCHASES,
            MULTICHOICE,
            _store,
            choices=_stores,
            params=DAYS,
        )
    )
    register(
        SegmentField(
            "category",
            _("bought product category"),
            PURCHASES,
            MULTICHOICE,
            _category,
            choices=_categories,
            params=DAYS,
        )
    )

    rfm_labels = {
        "recency_score": _("RFM recency score"),
        "frequency_score": _("RFM frequency score"),
        "monetary_score": _("RFM monetary score"),
    }
    for name, label in rfm_labels.items():
        register(
            SegmentField(
                name,
                label,
                SCORES,
                NUMBER,
                _compare_field(f"score__{name}"),
                minimum=0,
                maximum=5,
                help_text=_("1 to 5, 5 the best fifth; 0: no purchase in 12 months."),
            )
        )
    register(
        SegmentField(
            "churn_risk",
            _("churn risk"),
            SCORES,
            DECIMAL,
            _compare_field("score__churn_risk"),
            minimum=Decimal(0),
            maximum=Decimal(1),
            help_text=_("0 to 1."),
        )
    )
    register(
        SegmentField(
            "clv",
            _("customer lifetime value"),
            SCORES,
            DECIMAL,
            _compare_field("score__clv_historic"),
        )
    )
    register(
        SegmentField(
            "clv_predicted",
            _("predicted value, next 12 months"),
            SCORES,
            DECIMAL,
            _compare_field("score__clv_predicted_12m"),
        )
    )
    register(
        SegmentField(
            "preferred_channel",
            _("preferred channel"),
            SCORES,
            CHOICE,
            _score_choice("preferred_channel"),
            choices=lambda: MemberScore.PreferredChannel.choices,
        )
    )


_register_member_fields()

__all__ = [
    "SegmentField",
    "holds",
    "segment_field_register",
    "segment_fields",
    "segment_q",
    "segment_rules_validate",
]
