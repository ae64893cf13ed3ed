"""Public subscription pages: subscribe, confirm, manage, unsubscribe (English and Hebrew).

These are ordinary Django views, not part of the status page snapshot: the page links here and
the same port serves them. Tokens authorise everything after the subscription itself; a wrong
token answers 400 and says nothing about who is subscribed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tidings.components.models import Component
from tidings.config import get_settings
from tidings.core import throttle
from tidings.core.errors import InvalidInput
from tidings.subscribers import manage as links
from tidings.subscribers import services

Choices = list[tuple[str, Any]]


def subscribe_atomically(
    *, channel: str, target: str, language: str, component_ids: list[str] | None
) -> services.Subscription:
    """Subscribe in a transaction of its own. Two requests for one new target race to insert
    it; the loser tries once more, finds the row and gives the same answer."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return services.subscribe(
                    channel=channel, target=target, language=language, component_ids=component_ids
                )
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# --- Forms ----------------------------------------------------------------------------------


def component_choices() -> Choices:
    """Components as the status page lists them: in their groups, then those in none."""
    groups: dict[str, list[tuple[str, str]]] = {}
    alone: list[tuple[str, str]] = []
    rows = Component.objects.select_related("group").order_by(
        "group__position", "group__name", "position", "name"
    )
    for c in rows:
        (groups.setdefault(c.group.name, []) if c.group else alone).append((c.public_id, c.name))
    return [*groups.items(), *alone]


class PreferencesForm(forms.Form):
    """Language and components; a customer contact gets the language only."""

    def __init__(self, *args: Any, with_components: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"] = forms.ChoiceField(
            label=_("Language of the messages"), choices=django_settings.LANGUAGES
        )
        if with_components:
            self.fields["scope"] = forms.ChoiceField(
                label=_("Send me updates about"),
                choices=[
                    ("all", _("All components")),
                    ("some", _("Only the components I choose below")),
                ],
                widget=forms.RadioSelect,
                initial="all",
            )
            self.fields["components"] = forms.MultipleChoiceField(
                label=_("Components"),
                choices=component_choices(),
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == "some" and not data.get("components"):
            self.add_error("components", _("Choose at least one component, or all of them."))
        return data

    def component_ids(self) -> list[str] | None:
        if self.cleaned_data.get("scope", "all") == "all":
            return None
        return list(self.cleaned_data.get("components") or [])


class SubscribeForm(PreferencesForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = self.fields
        self.fields = {
            "channel": forms.ChoiceField(
                label=_("How should we reach you?"),
                choices=[(c, services.CHANNEL_LABELS[c]) for c in services.available_channels()],
                initial="email",
            ),
            "target": forms.CharField(
                label=_("Email address, phone number or URL"), max_length=2000, strip=True
            ),
            **fields,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        channel, target = data.get("channel"), data.get("target")
        if channel and target:
            try:
                services.normalise(channel, target)
            except InvalidInput as exc:
                self.add_error("target", exc.message)
        return data


# --- Pages ----------------------------------------------------------------------------------


def client(request: HttpRequest) -> str:
    return throttle.client_address(request, get_settings().trusted_proxies)


def page_language(request: HttpRequest, preferred: str | None = None) -> str:
    """``?lang=`` if given, else the subscriber's own language, else Accept-Language."""
    known = services.languages()
    asked = request.GET.get("lang", "")
    if asked in known:
        return asked
    if preferred in known:
        return str(preferred)
    code = (getattr(request, "LANGUAGE_CODE", "") or "").split("-")[0]
    return code if code in known else django_settings.LANGUAGE_CODE


def page(
    request: HttpRequest, template: str, lang: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    s = get_settings()
    others = [(code, name) for code, name in django_settings.LANGUAGES if code != lang]
    ctx = {
        "lang": lang,
        "dir": "rtl" if translation.get_language_info(lang)["bidi"] else "ltr",
        "site_name": s.site_name,
        "page_url": s.public_url,
        "status_url": f"{s.public_url}{'' if lang == 'en' else '/' + lang}/",
        "other_lang": others[0][0] if others else "",
        "other_lang_name": others[0][1] if others else "",
        **context,
    }
    with translation.override(lang):
        response = render(request, template, ctx, status=status)
    response.headers["Content-Language"] = lang
    return response


def invalid(
    request: HttpRequest, exc: services.InvalidToken, lang: str, token: str = ""
) -> HttpResponse:
    context = {
        "message": exc.message,
        "expired": isinstance(exc, services.ExpiredToken),
        "days": services.CONFIRM_MAX_AGE.days,
        # An old manage link still unsubscribes.
        "unsubscribe_url": f"/unsubscribe/{token}"
        if isinstance(exc, links.ExpiredManageLink)
        else "",
    }
    return page(request, "subscribers/invalid.html", lang, context, status=400)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    lang = page_language(request)
    with translation.override(lang):
        if request.method != "POST":
            form = SubscribeForm(initial={"language": lang})
            return page(request, "subscribers/subscribe.html", lang, {"form": form})
        form = SubscribeForm(request.POST)
        if not services.subscribe_allowed(client(request)):
            form.add_error(None, services.too_many_message())
            return page(request, "subscribers/subscribe.html", lang, {"form": form}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = subscribe_atomically(
                    channel=data["channel"], target=data["target"], language=data["language"],
                    component_ids=form.component_ids(),
                )  # fmt: skip
            except InvalidInput as exc:
                form.add_error(None, exc.message)
            else:
                context = {
                    "channel": data["channel"],
                    "secret": result.secret,
                    "days": services.CONFIRM_MAX_AGE.days,
                }
                return page(request, "subscribers/subscribed.html", lang, context)
        return page(request, "subscribers/subscribe.html", lang, {"form": form}, status=400)


@never_cache
@require_http_methods(["GET", "HEAD"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    fallback = page_language(request)
    try:
        with translation.override(fallback), transaction.atomic():
            sub = services.confirm(token=token)
    except services.InvalidToken as exc:
        return invalid(request, exc, fallback)
    lang = page_language(request, sub.language)
    manage_url = f"/subscriptions/{services.manage_token(sub)}"
    return page(request, "subscribers/confirmed.html", lang, {"manage_url": manage_url})


def _language_of(who: links.Holder) -> str:
    if who.subscriber is not None:
        return who.subscriber.language
    return who.contact.language if who.contact is not None else ""


def _status_of(who: links.Holder) -> str:
    if who.subscriber is not None:
        return who.subscriber.status
    assert who.contact is not None
    return "active" if who.channel in (who.contact.channels or ["email"]) else "unsubscribed"


def _target_of(who: links.Holder) -> str:
    if who.subscriber is not None:
        return who.subscriber.target
    assert who.contact is not None
    return who.contact.email if who.channel == "email" else who.contact.phone


def _initial(who: links.Holder) -> dict[str, Any]:
    initial: dict[str, Any] = {"language": _language_of(who)}
    if who.subscriber is not None:
        initial["scope"] = "all" if who.subscriber.all_components else "some"
        initial["components"] = list(who.subscriber.components.values_list("public_id", flat=True))
    return initial


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    fallback = page_language(request)
    try:
        with translation.override(fallback):
            who = links.holder(token=token)
    except services.InvalidToken as exc:
        return invalid(request, exc, fallback, token)
    lang = page_language(request, _language_of(who))
    with_components = who.subscriber is not None
    status, secret, problem = 200, "", ""
    with translation.override(lang):
        if request.method == "POST" and "new_secret" in request.POST:
            form = PreferencesForm(initial=_initial(who), with_components=with_components)
            try:
                with transaction.atomic():
                    secret = links.new_signing_secret(token=token)
            except InvalidInput as exc:
                problem, status = exc.message, 400
        elif request.method == "POST":
            form = PreferencesForm(request.POST, with_components=with_components)
            if form.is_valid():
                try:
                    with transaction.atomic():
                        links.update_preferences(
                            token=token, language=form.cleaned_data["language"],
                            component_ids=form.component_ids(),
                            all_components=form.component_ids() is None,
                        )  # fmt: skip
                except InvalidInput as exc:
                    form.add_error(None, exc.message)
                else:
                    return redirect(f"{request.path}?saved=1")
            status = 400
        else:
            form = PreferencesForm(initial=_initial(who), with_components=with_components)
        channel = who.subscriber.channel if who.subscriber is not None else who.channel
        context = {
            "form": form,
            "status": _status_of(who),
            "channel_label": services.CHANNEL_LABELS.get(channel, channel),
            "target": _target_of(who),
            "saved": request.method == "GET" and "saved" in request.GET,
            "unsubscribe_url": f"/unsubscribe/{token}",
            "manage_until": who.manage_until,
            "webhook": channel == "webhook",
            "secret": secret,
            "problem": problem,
        }
    return page(request, "subscribers/manage.html", lang, context, status=status)


@csrf_exempt  # RFC 8058 one-click: the mail provider POSTs without cookies or a CSRF token;
@never_cache  # the signed token in the URL is the whole authorisation.
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a one-button form (link scanners follow GETs and must not unsubscribe
    anyone); POST unsubscribes, whether from that form or as a List-Unsubscribe one-click."""
    fallback = page_language(request)
    try:
        with translation.override(fallback):
            if request.method == "POST":
                with transaction.atomic():
                    who = links.unsubscribe(token=token)
            else:
                who = links.holder(token=token, purpose="unsubscribe")
    except services.InvalidToken as exc:
        return invalid(request, exc, fallback)
    lang = page_language(request, _language_of(who))
    context = {
        "done": request.method == "POST" or _status_of(who) == "unsubscribed",
        "target": _target_of(who),
        "manage_url": f"/subscriptions/{token}",
    }
    return page(request, "subscribers/unsubscribe.html", lang, context)
