"""The public side (no login): the tip form, the receipt, the tracking page and the claim."""

import json

from django.contrib import messages
from django.core import signing
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST

from gridgov.cases.models import Category
from gridgov.cases.views.common import apply_errors
from gridgov.core.exceptions import ApplicationError
from gridgov.tips.forms import ClaimForm, TipForm, TrackForm, place_querysets
from gridgov.tips.models import Reward, RewardRule
from gridgov.tips.services import (
    TipRateLimited,
    public_status,
    reward_claim,
    rewards_propose_for_case,
    tip_by_tracking_code,
    tip_submit,
)
from gridgov.tips.views.common import FIELD_NAMES, client_key, hotline_number, public_reward_text

RECEIPT_COOKIE = "tips_receipt"
RECEIPT_MAX_AGE = 15 * 60
# The tracking code a visitor looks up lives in a signed cookie sent only to the tracking pages, never in a URL:
# URLs end up in access logs, browser history and shared screenshots.
TRACK_COOKIE = "tips_track"
TRACK_MAX_AGE = 30 * 60


def _remember_code(request, response, code: str):
    response.set_signed_cookie(
        TRACK_COOKIE,
        code,
        salt=TRACK_COOKIE,
        max_age=TRACK_MAX_AGE,
        path=reverse("tips:track"),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return response


def _remembered_code(request) -> str:
    try:
        return request.get_signed_cookie(TRACK_COOKIE, salt=TRACK_COOKIE, max_age=TRACK_MAX_AGE)
    except (KeyError, signing.BadSignature):
        return ""


def public_categories():
    return (
        Category.objects.filter(public=True, is_active=True)
        .select_related("group")
        .prefetch_related(Prefetch("reward_rule", queryset=RewardRule.objects.filter(is_active=True)))
        .order_by("group__sort_order", "sort_order", "code")
    )


def category_groups(categories) -> list[tuple[str, list]]:
    groups: dict[int, tuple[str, list]] = {}
    for category in categories:
        groups.setdefault(category.group_id, (category.group.name, []))[1].append(category)
    return list(groups.values())


def reward_rules():
    return list(
        RewardRule.objects.filter(is_active=True, category__is_active=True, category__public=True)
        .select_related("category")
        .order_by(*RewardRule._meta.ordering)
    )


def tip_form_context(form, categories, townships, villages):
    """The form's choices as lists, for the grouped category select and the township → village pair."""
    return {
        "form": form,
        "category_groups": category_groups(categories),
        "selected_category": str(form["category"].value() or ""),
        "townships": list(townships),
        "villages": list(villages),
        "selected_township": str(form["township"].value() or ""),
        "selected_village": str(form["village"].value() or ""),
        "hotline": hotline_number(),
    }


@never_cache
@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def tip_new(request):
    post = request.method == "POST"
    townships, villages = place_querysets()
    form = TipForm(
        request.POST if post else None,
        request.FILES if post else None,
        categories=Category.objects.filter(public=True, is_active=True),
        townships=townships,
        villages=villages,
    )
    status = 200
    if post:
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                receipt = tip_submit(
                    category=data["category"],
                    region=form.region,
                    description=data["description"],
                    address=data["address"],
                    latitude=data["latitude"] or None,
                    longitude=data["longitude"] or None,
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    anonymous=data["anonymous"],
                    photos=data["photos"],
                    client_key=client_key(request),
                    submission_key=form.submission_key,
                )
            except TipRateLimited as exc:
                form.add_error(None, str(exc.message))
                status = 429
            except ApplicationError as exc:
                apply_errors(form, exc, FIELD_NAMES)
            else:
                response = redirect("tips:receipt")
                # A signed cookie sent only to the receipt page, which deletes it: the public leave no session
                # rows behind, and the plain secret is stored nowhere on the server.
                response.set_signed_cookie(
                    RECEIPT_COOKIE,
                    json.dumps(
                        {
                            "code": receipt.tip.tracking_code_display,
                            "secret": receipt.secret,
                            "attached": receipt.tip.attached,
                        }
                    ),
                    salt=RECEIPT_COOKIE,
                    max_age=RECEIPT_MAX_AGE,
                    path=reverse("tips:receipt"),
                    secure=request.is_secure(),
                    httponly=True,
                    samesite="Lax",
                )
                return response
    context = tip_form_context(form, public_categories(), townships, villages)
    context.update({"rules": reward_rules(), "photos_lost": post and bool(request.FILES)})
    return render(request, "tips/new.html", context, status=status)


@never_cache
def tip_receipt(request):
    """The tracking code and the claim secret, shown once: the secret is kept nowhere in clear."""
    try:
        receipt = json.loads(
            request.get_signed_cookie(RECEIPT_COOKIE, salt=RECEIPT_COOKIE, max_age=RECEIPT_MAX_AGE)
        )
        code = receipt["code"]
    except (KeyError, ValueError, TypeError, signing.BadSignature):
        return redirect("tips:track")
    response = render(request, "tips/receipt.html", {"receipt": receipt, "hotline": hotline_number()})
    response.delete_cookie(RECEIPT_COOKIE, path=reverse("tips:receipt"), samesite="Lax")
    return _remember_code(request, response, code)


def _tracking_context(tip):
    case = tip.case
    status, notes = public_status(case)
    reward = Reward.objects.filter(tip=tip).first()
    if reward is None and status == "closed" and not tip.is_spam:
        rewards_propose_for_case(case=case)
        reward = Reward.objects.filter(tip=tip).first()
    tone, reward_text = public_reward_text(reward)
    return {
        "tip": tip,
        "status": status,
        "notes": notes,
        "reward": reward,
        "reward_tone": tone,
        "reward_text": reward_text,
        "category": case.category,
    }


@never_cache
@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def tip_track(request):
    """POST a code to look it up (it is remembered in a signed cookie, then the page redirects to itself); GET
    shows the remembered tip. An old link with ``?code=`` is moved into the cookie and off the URL."""
    if request.method == "POST" and "forget" in request.POST:
        response = redirect("tips:track")
        response.delete_cookie(TRACK_COOKIE, path=reverse("tips:track"), samesite="Lax")
        return response
    posted = request.POST if request.method == "POST" else request.GET if "code" in request.GET else None
    form = TrackForm(posted)
    if form.is_bound and form.is_valid():
        tip = tip_by_tracking_code(form.cleaned_data["code"])
        if tip is not None:
            return _remember_code(request, redirect("tips:track"), tip.tracking_code_display)
        form.add_error("code", _("查询码不存在，请核对后重新输入。"))
        return render(request, "tips/track.html", {"form": form, "hotline": hotline_number()}, status=404)
    if form.is_bound:
        return render(request, "tips/track.html", {"form": form, "hotline": hotline_number()}, status=400)
    context = {"form": form, "hotline": hotline_number()}
    tip = tip_by_tracking_code(_remembered_code(request)) if _remembered_code(request) else None
    if tip is not None:
        context["form"] = TrackForm(initial={"code": tip.tracking_code_display})
        context.update(_tracking_context(tip))
        context["claim_form"] = ClaimForm(initial={"code": tip.tracking_code})
        context["needs_contact"] = not tip.reporter_phone_sealed
    return render(request, "tips/track.html", context)


@never_cache
@require_POST
def tip_claim(request):
    form = ClaimForm(request.POST)
    code = request.POST.get("code", "")
    tip = tip_by_tracking_code(code)
    if tip is None:
        return redirect("tips:track")
    status = 400
    if form.is_valid():
        try:
            reward_claim(
                tracking_code=tip.tracking_code,
                secret=form.cleaned_data["secret"],
                contact=form.cleaned_data["contact"],
            )
        except ApplicationError as exc:
            apply_errors(form, exc, {"tracking_code": "__all__"})
            status = exc.status
        else:
            messages.success(request, _("已申领，工作人员将尽快与您联系发放奖励。"))
            return _remember_code(request, redirect("tips:track"), tip.tracking_code_display)
    tip.refresh_from_db()
    context = {"form": TrackForm(initial={"code": tip.tracking_code_display}), "hotline": hotline_number()}
    context.update(_tracking_context(tip))
    context.update({"claim_form": form, "needs_contact": not tip.reporter_phone_sealed, "claim_open": True})
    return render(request, "tips/track.html", context, status=status)
