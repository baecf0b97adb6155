"""The staff side: tips and rewards of the county (指挥中心、监督中心、有奖举报办、系统管理员), the phone-in form, the
reward rules. Only the reward officer ever sees a reporter, after giving a reason that goes to the access log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gridgov.cases.models import Case, Category
from gridgov.cases.policies import CasePolicy
from gridgov.cases.views.common import apply_errors, scoped
from gridgov.core.exceptions import ApplicationError, NotFound
from gridgov.core.scope import scope_for
from gridgov.tips import selectors
from gridgov.tips.forms import (
    ApproveForm,
    PayForm,
    RefuseForm,
    RevealForm,
    RuleForm,
    SpamForm,
    TipForm,
    place_querysets,
)
from gridgov.tips.models import Reward, RewardRule, Tip
from gridgov.tips.policies import TIP_READERS, TipPolicy
from gridgov.tips.services import (
    TipRateLimited,
    public_status,
    reward_approve,
    reward_record_payment,
    reward_refuse,
    reward_rule_save,
    rewards_propose_for_closed_cases,
    tip_reporter_reveal,
    tip_submit,
    tip_void_spam,
)
from gridgov.tips.views.common import (
    FIELD_NAMES,
    REWARD_TONES,
    hotline_number,
    is_reward_officer,
    tabs,
)
from gridgov.tips.views.public import public_categories, tip_form_context

PAGE_SIZE = 30


def _require_reader(user):
    if not TipPolicy.can_list(user):
        raise PermissionDenied(_("您没有查看举报的权限。"))


@login_required
def index(request):
    """举报: the tips of the user's region, newest first, with their case and reward."""
    user = request.user
    _require_reader(user)
    if is_reward_officer(user):
        rewards_propose_for_closed_cases()
    reward = request.GET.get("reward", "")
    reward = reward if reward in selectors.REWARD_FILTERS else ""
    channel = request.GET.get("channel", "")
    channel = channel if channel in Tip.Channel.values else ""
    q = request.GET.get("q", "")[:50]
    tips = selectors.tip_list(user=user, reward=reward, channel=channel, q=q)
    page = Paginator(tips, PAGE_SIZE).get_page(request.GET.get("page"))
    for tip in page.object_list:
        tip.reward_obj = getattr(tip, "reward", None)  # select_related: no query, None when there is none
        tip.reward_tone = REWARD_TONES.get(tip.reward_obj.state, "") if tip.reward_obj else ""
    context = {
        "tabs": tabs(user, "index"),
        "page": page,
        "reward": reward,
        "channel": channel,
        "q": q,
        "reward_filters": [("", _("全部")), ("none", _("无奖励")), *Reward.State.choices],
        "channels": Tip.Channel.choices,
        "sees_reporter": is_reward_officer(user),
    }
    return render(request, "tips/index.html", context)


@login_required
def rewards(request):
    """奖励: proposals to decide, approved ones waiting for a claim, claims to pay."""
    user = request.user
    _require_reader(user)
    if is_reward_officer(user):
        rewards_propose_for_closed_cases()
    state = request.GET.get("state", Reward.State.PROPOSED)
    state = state if state in Reward.State.values or state == "" else Reward.State.PROPOSED
    items = selectors.reward_list(user=user, state=state)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.reward_counts(user=user)
    states = [(value, label, counts.get(value, 0)) for value, label in Reward.State.choices]
    for reward in page.object_list:
        reward.tone = REWARD_TONES.get(reward.state, "")
    context = {"tabs": tabs(user, "rewards"), "page": page, "state": state, "states": states}
    return render(request, "tips/rewards.html", context)


def _detail_context(request, tip, **forms):
    user = request.user
    reward = Reward.objects.filter(tip=tip).select_related("decided_by", "paid_by").first()
    status, notes = public_status(tip.case)
    others = Tip.objects.filter(case_id=tip.case_id).exclude(pk=tip.pk).count()
    officer = TipPolicy.can_see_reporter(user, tip)
    context = {
        "tabs": tabs(user, "index"),
        "tip": tip,
        "case": tip.case,
        "case_visible": Case.objects.filter(CasePolicy.visible_q(user), pk=tip.case_id).exists(),
        "status": status,
        "notes": notes,
        "reward": reward,
        "reward_tone": REWARD_TONES.get(reward.state, "") if reward else "",
        "others": others,
        "sees_reporter": officer,
        "may_decide": reward is not None and officer,
        "may_void": TipPolicy.can_void_spam(user, tip) and tip.case.state == "reported" and not tip.is_spam,
        "approve_form": forms.get("approve_form")
        or ApproveForm(initial={"amount": reward.min_amount if reward else None}),
        "refuse_form": forms.get("refuse_form") or RefuseForm(),
        "pay_form": forms.get("pay_form") or PayForm(),
        "reveal_form": forms.get("reveal_form") or RevealForm(),
        "spam_form": forms.get("spam_form") or SpamForm(),
        "revealed": forms.get("revealed"),
        "open_action": forms.get("open_action", ""),
    }
    return context


@login_required
@scoped
def detail(request, pk):
    tip = selectors.access_tip(request.user, pk)
    return render(request, "tips/detail.html", _detail_context(request, tip))


@login_required
@require_POST
@scoped
def reveal(request, pk):
    """The reporter's name and phone in clear (reward officer); the page is answered directly, never stored."""
    tip = selectors.access_tip(request.user, pk)
    form = RevealForm(request.POST)
    revealed, status = None, 400
    if form.is_valid():
        try:
            revealed = tip_reporter_reveal(actor=request.user, tip=tip, reason=form.cleaned_data["reason"])
            status = 200
        except ApplicationError as exc:
            if exc.status == 403:
                raise PermissionDenied(str(exc.message)) from exc
            apply_errors(form, exc)
    context = _detail_context(request, tip, reveal_form=form, revealed=revealed, open_action="reveal")
    response = render(request, "tips/detail.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


ACTIONS = {
    "approve": (ApproveForm, "approve_form"),
    "refuse": (RefuseForm, "refuse_form"),
    "pay": (PayForm, "pay_form"),
}


@login_required
@require_POST
@scoped
def reward_action(request, pk, name):
    tip = selectors.access_tip(request.user, pk)
    if name not in ACTIONS:
        raise NotFound()
    reward = Reward.objects.filter(tip=tip).first()
    if reward is None:
        raise NotFound()
    form_class, key = ACTIONS[name]
    form = form_class(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            if name == "approve":
                reward_approve(
                    actor=request.user,
                    reward=reward,
                    amount=data["amount"],
                    violation_confirmed=data["violation_confirmed"],
                    note=data["note"],
                )
                messages.success(request, _("已核定奖励 %(amount)s 元。") % {"amount": data["amount"]})
            elif name == "refuse":
                reward_refuse(actor=request.user, reward=reward, reason=data["reason"])
                messages.success(request, _("已决定不予奖励。"))
            else:
                reward_record_payment(
                    actor=request.user,
                    reward=reward,
                    method=data["method"],
                    reference=data["reference"],
                    paid_at=data["paid_at"],
                )
                messages.success(request, _("已登记发放。"))
            return redirect("tips:detail", pk=tip.pk)
        except ApplicationError as exc:
            if exc.status == 403:
                raise PermissionDenied(str(exc.message)) from exc
            apply_errors(form, exc)
            status = exc.status
    context = _detail_context(request, tip, **{key: form, "open_action": name})
    return render(request, "tips/detail.html", context, status=status)


@login_required
@require_POST
@scoped
def void_spam(request, pk):
    tip = selectors.access_tip(request.user, pk)
    form = SpamForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            marked = tip_void_spam(actor=request.user, tip=tip, note=form.cleaned_data["note"])
        except ApplicationError as exc:
            if exc.status == 403:
                raise PermissionDenied(str(exc.message)) from exc
            apply_errors(form, exc)
            status = exc.status
        else:
            messages.success(request, _("已作废案件，%(n)d 条举报标记为恶意举报。") % {"n": marked})
            return redirect("tips:detail", pk=tip.pk)
    context = _detail_context(request, tip, spam_form=form, open_action="spam")
    return render(request, "tips/detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def phone(request):
    """电话举报登记: a call to the reward hotline, typed in by the officer into the public pipeline."""
    user = request.user
    if not TipPolicy.can_take_phone_tips(user):
        raise PermissionDenied(_("您没有登记电话举报的权限。"))
    post = request.method == "POST"
    townships, villages = place_querysets()
    form = TipForm(
        request.POST if post else None,
        request.FILES if post else None,
        categories=Category.objects.filter(public=True, is_active=True),
        townships=townships,
        villages=villages,
        phone=True,
    )
    receipt = None
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
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    anonymous=data["anonymous"],
                    photos=data["photos"],
                    channel=Tip.Channel.PHONE,
                    submission_key=form.submission_key,
                    actor=user,
                )
                status = 201
            except TipRateLimited as exc:
                form.add_error(None, str(exc.message))
                status = 429
            except ApplicationError as exc:
                apply_errors(form, exc, FIELD_NAMES)
    context = tip_form_context(form, public_categories(), townships, villages)
    context.update({"tabs": tabs(user, "phone"), "receipt": receipt, "phone": True})
    if receipt is not None:
        context["form"] = TipForm(
            categories=Category.objects.none(), townships=townships, villages=villages, phone=True
        )
    return render(request, "tips/phone.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rules(request):
    """奖励标准: every staff reader sees them; the county admin edits them here."""
    user = request.user
    editor = TipPolicy.can_edit_rules(user)
    if not editor and not scope_for(user).root_paths(TIP_READERS, acting=False):
        raise PermissionDenied(_("您没有查看奖励标准的权限。"))
    items = selectors.reward_rule_list()
    forms, status, edited = {}, 200, None
    if request.method == "POST":
        if not editor:
            raise PermissionDenied(_("只有系统管理员可以修改奖励标准。"))
        rule = next((r for r in items if str(r.pk) == request.POST.get("rule")), None)
        if rule is None:
            raise Http404(_("奖励标准不存在。"))
        form = RuleForm(request.POST, instance=RewardRule(category=rule.category), prefix=f"r{rule.pk}")
        if form.is_valid():
            data = form.cleaned_data
            try:
                reward_rule_save(
                    actor=user,
                    category=rule.category,
                    min_amount=data["min_amount"],
                    max_amount=data["max_amount"],
                    qualifies=data["qualifies"],
                    shared=data["shared"],
                    is_active=data["is_active"],
                )
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已保存“%(name)s”的奖励标准。") % {"name": rule.category.name})
                return redirect("tips:rules")
        forms[rule.pk], status, edited = form, 400, rule.pk
    if editor:
        for rule in items:
            rule.form = forms.get(rule.pk) or RuleForm(instance=rule, prefix=f"r{rule.pk}")
    usage = dict(
        Reward.objects.filter(state__in=["approved", "claimed", "paid"])
        .values_list("case__category_id")
        .annotate(n=Count("id"))
    )
    for rule in items:
        rule.approved = usage.get(rule.category_id, 0)
    context = {
        "tabs": tabs(user, "rules"),
        "rules": items,
        "editor": editor,
        "edited": edited,
        "hotline": hotline_number(),
    }
    return render(request, "tips/rules.html", context, status=status)
