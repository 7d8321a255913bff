"""/ml/alerts/: what alerts are and what is stored (a cached page), and the pages behind the form
and the email links, which are never cached: they carry a CSRF token or an address."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from catalog.models import Gpu
from catalog.presentation import site_title
from metrics.alerts import throttle
from metrics.alerts.forms import AlertForm, ChangeAlertForm
from metrics.alerts.matching import at_target
from metrics.alerts.messages import shop_link
from metrics.alerts.subscriptions import (
    change_alert,
    confirm_alert,
    normalise_email,
    request_alert,
    unsubscribe,
)
from metrics.alerts.tokens import CONFIRM, CONFIRM_DAYS, MANAGE, UNSUBSCRIBE, alert_link, read_token
from metrics.going_rate import read_going_rates
from metrics.models import PriceAlert
from shopagent.cache import cached_page

STATUS = "metrics/alerts_status.html"
TOKEN_FIELD = "csrfmiddlewaretoken"  # noqa: S105 - the name of Django's CSRF form field
_csrf = CsrfViewMiddleware(lambda request: None)
ANY_METHOD = require_http_methods(["GET", "HEAD", "POST"])


@require_safe
@cached_page()
def about(request):
    """How alerts work, what is stored about a subscriber and how to delete it."""
    context = {
        "confirm_days": CONFIRM_DAYS,
        "client_limit": throttle.CLIENT_LIMIT,
        "address_limit": throttle.ADDRESS_LIMIT,
    }
    return render(request, "metrics/alerts_about.html", context)


def private_page(view):
    """Never cached, and a page whose address holds a signed token never hands that address on
    as a referrer (not to our own pages either, whose analytics would record it)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return never_cache(wrapper)


@csrf_exempt  # checks the request itself, before anything is stored (see below)
@private_page
@ANY_METHOD
def subscribe(request):
    """A card's alert form. The form on a card's shop page comes from the page cache, so it
    cannot carry a CSRF token: a browser's POST of it counts as checked when its Origin header
    names this site (no other site's page can send that), otherwise it is shown back for review
    with this page's own token (403, nothing stored). A checked POST stores the alert and sends
    the confirmation email. A GET (?gpu=<slug>) shows the form for that card."""
    if request.method == "POST":
        return _request_alert(request)
    slugs = request.GET.getlist("gpu")
    cards = AlertForm.base_fields["gpu"].queryset  # every card but laptop GPUs (no listings)
    gpu = cards.filter(slug=slugs[0]).first() if slugs else None
    if gpu is None or len(slugs) > 1:
        raise Http404("No such card.")
    return _review(request, form=AlertForm(initial={"gpu": gpu.slug}), gpu=gpu)


def _from_this_site(request) -> bool:
    """The browser says the POST comes from one of this site's pages: browsers set Origin on
    every form POST and no page can set it, and our referrer policy keeps it on same-origin
    requests."""
    origin = request.headers.get("Origin", "")
    own = f"{request.scheme}://{request.get_host()}"
    return origin == own or (origin != "null" and origin in settings.CSRF_TRUSTED_ORIGINS)


def _checked(request) -> bool:
    """Origin from this site, else Django's own CSRF check (token against cookie)."""
    return _from_this_site(request) or _csrf.process_view(request, None, (), {}) is None


def _chosen_card(form: AlertForm) -> Gpu:
    gpu = form.cleaned_data.get("gpu")
    if gpu is None:
        raise Http404("No such card.")
    return gpu


def _review(request, *, form: AlertForm, gpu: Gpu, status: int = 200, note: str = ""):
    context = {
        "form": form,
        "gpu": gpu,
        "rates": read_going_rates(gpu_id=gpu.pk),
        "note": note,
        "title": site_title(f"Price alert: {gpu.label}", "Set a price alert"),
    }
    return render(request, "metrics/alerts_subscribe.html", context, status=status)


def _request_alert(request):
    form = AlertForm(request.POST)
    valid = form.is_valid()
    gpu = _chosen_card(form)
    if not _checked(request):
        note = (
            "This form had expired: check it and send it again."
            if TOKEN_FIELD in request.POST
            else "Check your alert and send it again to get the confirmation email."
        )
        return _review(request, form=form, gpu=gpu, status=403, note=note)
    if not valid:
        return _review(request, form=form, gpu=gpu, status=400)
    now = timezone.now()
    email = normalise_email(form.cleaned_data["email"])
    wait = throttle.seconds_to_wait(request=request, email=email, now=now)
    if wait:
        context = {"status": "limited", "retry_at": now + timedelta(seconds=wait)}
        response = render(request, STATUS, context, status=429)
        response["Retry-After"] = str(wait)
        return response
    data = form.cleaned_data
    request_alert(
        email=email,
        gpu=gpu,
        target_price=data["target_price"],
        condition=data["condition"],
        now=now,
    )
    return render(request, STATUS, {"status": "requested", "email": email, "gpu": gpu})


def _alert(token: str, purpose: str) -> PriceAlert | None:
    alert_id = read_token(token, purpose)
    if alert_id is None:
        return None
    return PriceAlert.objects.select_related("gpu").filter(pk=alert_id).first()


def _bad_link(request):
    return render(request, STATUS, {"status": "bad-link"}, status=404)


@private_page
@ANY_METHOD
def confirm(request, token):
    """The confirmation email's link: a button, since mail scanners open links, whose POST
    (CSRF-checked) turns the alert on."""
    alert = _alert(token, CONFIRM)
    if alert is None:
        return _bad_link(request)
    if request.method == "POST":
        confirm_alert(alert)
    if alert.confirmed_at is None:
        context = {"alert": alert, "confirm_days": CONFIRM_DAYS}
        return render(request, "metrics/alerts_confirm.html", context)
    context = {
        "status": "confirmed",
        "alert": alert,
        "waiting": at_target(alert).count(),
        "shop_link": shop_link(alert),
        "manage_link": alert_link(alert.pk, MANAGE),
    }
    return render(request, STATUS, context)


@csrf_exempt  # mail clients POST one-click unsubscribes (RFC 8058) with no cookie or token
@private_page
@ANY_METHOD
def unsubscribe_view(request, token):
    """Every alert email's unsubscribe link and List-Unsubscribe URL: a POST, whatever its body,
    deletes every alert of the address and the address with them; the signed link is the proof.
    A GET only asks, since mail scanners open links."""
    alert_id = read_token(token, UNSUBSCRIBE)
    if alert_id is None:
        return _bad_link(request)
    if request.method == "POST":
        deleted = unsubscribe(alert_id)
        return render(request, STATUS, {"status": "unsubscribed", "deleted": deleted})
    alert = PriceAlert.objects.filter(pk=alert_id).first()
    if alert is None:
        return render(request, STATUS, {"status": "unsubscribed", "deleted": 0})
    alerts = (
        PriceAlert.objects.filter(email=alert.email).select_related("gpu").order_by("gpu__label")
    )
    context = {"email": alert.email, "cards": [other.gpu.label for other in alerts]}
    return render(request, "metrics/alerts_unsubscribe.html", context)


@private_page
@ANY_METHOD
def manage(request, token):
    """Every alert of the address the link was sent to: change a target or condition, delete
    one, or delete them all and the address."""
    alert = _alert(token, MANAGE)
    if alert is None:
        return _bad_link(request)
    alerts = list(
        PriceAlert.objects.filter(email=alert.email).select_related("gpu").order_by("gpu__label")
    )
    if request.method == "POST":
        return _change(request, alerts)
    return _manage_page(request, alerts)


def _manage_page(request, alerts, *, forms=None, note: str = "", status: int = 200):
    forms = forms or {}
    rows = [
        {
            "alert": alert,
            "form": forms.get(alert.pk)
            or ChangeAlertForm(
                initial={"target_price": alert.target_price, "condition": alert.condition},
                prefix=str(alert.pk),
            ),
        }
        for alert in alerts
    ]
    context = {"rows": rows, "email": alerts[0].email, "note": note}
    return render(request, "metrics/alerts_manage.html", context, status=status)


def _change(request, alerts):
    action = request.POST.get("action")
    if action == "delete-all":
        return render(
            request, STATUS, {"status": "unsubscribed", "deleted": unsubscribe(alerts[0].pk)}
        )
    chosen = next((a for a in alerts if str(a.pk) == request.POST.get("alert")), None)
    if chosen is None or action not in ("save", "delete"):
        return _manage_page(request, alerts, note="Choose an alert to change.", status=400)
    if action == "delete":
        chosen.delete()
        rest = [a for a in alerts if a.pk != chosen.pk]
        if not rest:
            return render(request, STATUS, {"status": "unsubscribed", "deleted": 1})
        return HttpResponseRedirect(alert_link(rest[0].pk, MANAGE))
    form = ChangeAlertForm(request.POST, prefix=str(chosen.pk))
    if not form.is_valid():
        return _manage_page(request, alerts, forms={chosen.pk: form}, status=400)
    change_alert(chosen, **form.cleaned_data)
    chosen.refresh_from_db()
    note = f"Saved: the {chosen.gpu.label} alert."
    return _manage_page(request, alerts, note=note)
