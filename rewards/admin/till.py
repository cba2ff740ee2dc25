"""The till page for store staff (/admin/till/, their landing page): find the member the
customer names, see their tier, balance and vouchers, use a voucher with one click and register
a purchase made without the card. Every write is a POST through rewards.services.till, followed
by a redirect back to the member (so a reload never repeats it)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import Store
from rewards.selectors.till import till_member_get, till_member_search, till_stores
from rewards.services.till import purchase_register_at_till, voucher_use_at_till

STORE_SESSION_KEY = "till_store_id"


class TillStoreForm(forms.Form):
    store = forms.ModelChoiceField(label=gettext_lazy("Store"), queryset=Store.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = till_stores()


class TillPurchaseForm(forms.Form):
    amount = forms.CharField(
        label=gettext_lazy("Amount (SEK)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    receipt = forms.CharField(
        label=gettext_lazy("Receipt number"),
        max_length=60,
        help_text=gettext_lazy("From the receipt, so the purchase is stored once."),
    )

    def clean_amount(self) -> Decimal:
        """Kronor as staff type them: "249,50", "249.50" or "1 249"."""
        text = "".join(self.cleaned_data["amount"].split()).replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError(
                _("Enter the amount in kronor, e.g. 249,50."), code="invalid"
            ) from None
        if not amount.is_finite() or amount <= 0 or amount >= 10**8:
            raise ValidationError(
                _("Enter an amount above 0 kr (a return is made from the receipt)."),
                code="invalid",
            )
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError(_("Enter at most two decimals (öre)."), code="invalid")
        return amount


def till_store(request: HttpRequest) -> Store | None:
    store_id = request.session.get(STORE_SESSION_KEY)
    if not store_id:
        return None
    return till_stores().filter(pk=store_id).first()


def _back(member_id: object | None = None) -> HttpResponse:
    url = reverse("admin:till")
    if member_id:
        url += "?" + urlencode({"member": member_id})
    return redirect(url)


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def till_view(request: HttpRequest) -> HttpResponse:
    store = till_store(request)
    if request.method == "POST":
        return _post(request, store)
    query = request.GET.get("q")
    search = till_member_search(query=query) if query is not None else None
    chosen = request.GET.get("member")
    if chosen is None and search is not None and len(search.members) == 1 and not search.code:
        chosen = search.members[0].pk
    current = till_member_get(member_id=chosen) if chosen is not None else None
    site = admin.site
    context = {
        **site.each_context(request),
        "title": _("Till"),
        "subtitle": None,
        "store": store,
        "store_form": TillStoreForm(initial={"store": store}),
        "search": search,
        "query": search.query if search else "",
        "current": current,
        "purchase_form": TillPurchaseForm(),
        "member_missing": chosen is not None and current is None,
    }
    return TemplateResponse(request, "admin/rewards/till.html", context)


def _post(request: HttpRequest, store: Store | None) -> HttpResponse:
    action = request.POST.get("action")
    if action == "store":
        form = TillStoreForm(request.POST)
        if form.is_valid():
            request.session[STORE_SESSION_KEY] = form.cleaned_data["store"].pk
        else:
            messages.error(request, _("Choose one of the stores."))
        return _back(request.POST.get("member"))
    current = till_member_get(member_id=request.POST.get("member"))
    if current is None:
        messages.error(request, _("This member cannot be found any more."))
        return _back()
    member = current.member
    if action == "use_voucher":
        try:
            voucher = voucher_use_at_till(
                member=member,
                redemption_id=request.POST.get("voucher"),
                store=store,
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(
                request,
                _("Voucher %(code)s (%(reward)s) is now used.")
                % {"code": voucher.voucher_code, "reward": voucher.reward.name},
            )
    elif action == "purchase":
        form = TillPurchaseForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
        else:
            try:
                _purchase, created = purchase_register_at_till(
                    member=member,
                    amount=form.cleaned_data["amount"],
                    receipt=form.cleaned_data["receipt"],
                    store=store,
                    actor=request.user,
                    request=request,
                )
            except ValidationError as error:
                _refused(request, error)
            else:
                if created:
                    messages.success(request, _("The purchase is registered."))
                else:
                    messages.warning(
                        request, _("This receipt was already registered; nothing was added.")
                    )
    else:
        messages.error(request, _("Unknown action."))
    return _back(member.pk)
