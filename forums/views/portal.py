"""The forums in the portal: categories, topic lists, a topic with its accepted answer under the
question, posting (with preview), voting and accepting (htmx without a reload, plain forms without
JavaScript), flags, edits and their history, search, the member's forum profile and the top
helpers. Every object is reached through the access selectors; every change is a POST."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.markup import markdown_render
from forums.forms import (
    DisplayNameForm,
    EditForm,
    FlagForm,
    MergeForm,
    MoveForm,
    PreferencesForm,
    ReasonForm,
    ReplyForm,
    TopicForm,
)
from forums.permissions import (
    Viewer,
    categories_readable,
    category_get_for_user,
    check_edit_post,
    check_moderate,
    check_post_category,
    post_get_for_user,
    topic_get_for_user,
    viewer_for_user,
)
from forums.selectors.search import post_search
from forums.selectors.topics import (
    SORTS,
    category_list,
    month_start,
    post_revisions,
    similar_answered_topics,
    top_helpers,
    topic_list,
    topic_posts,
)
from forums.services.answers import answer_accept, answer_unaccept, vote_add, vote_remove
from forums.services.moderation import flag_create
from forums.services.notifications import follow_category, follow_topic, unfollow
from forums.services.posting import post_delete, post_edit, reply_create, topic_create
from forums.services.profiles import (
    display_name_set,
    notification_preferences_set,
    profile_for,
    topic_mark_read,
)

PAGE_SIZE = 25
POSTS_PAGE_SIZE = 50


def _viewer(request: HttpRequest) -> Viewer:
    viewer = viewer_for_user(request.user)
    if viewer.member is None and not (viewer.is_staff or viewer.is_moderator):
        raise PermissionDenied(_("The forums are for club members."))
    return viewer


def _member_needed(request: HttpRequest, viewer: Viewer):
    """Posting needs a member with a display name: otherwise a redirect to choose one."""
    if viewer.member is None:
        messages.error(request, _("Only club members can post in the forums."))
        return redirect("forums:index")
    if viewer.profile is None or not viewer.profile.display_name:
        messages.info(request, _("Choose your display name in the forums before posting."))
        return redirect(f"{reverse('forums:profile')}?next={request.get_full_path()}")
    return None


def _error(request: HttpRequest, error: ValidationError | PermissionDenied) -> str:
    text = error.messages[0] if isinstance(error, ValidationError) else str(error)
    return text or _("You may not do this.")


# --- Lists ---------------------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    return render(
        request,
        "forums/index.html",
        {"categories": category_list(viewer=viewer), "viewer": viewer},
    )


class LeanPage:
    """A page of a list without counting the whole list (one query: a row more than the page
    tells whether there is a next page), for the topic lists of a large forum."""

    paginator = None

    def __init__(self, queryset, *, number: str | None, size: int):
        try:
            self.number = max(int(number or 1), 1)
        except ValueError:
            self.number = 1
        rows = list(queryset[(self.number - 1) * size : self.number * size + 1])
        self.object_list = rows[:size]
        self._has_next = len(rows) > size

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def _topic_page(request: HttpRequest, viewer: Viewer, category=None) -> HttpResponse:
    sort = request.GET.get("sort", "latest")
    if sort not in SORTS:
        sort = "latest"
    page = LeanPage(
        topic_list(viewer=viewer, category=category, sort=sort),
        number=request.GET.get("page"),
        size=PAGE_SIZE,
    )
    return render(
        request,
        "forums/topic_list.html",
        {
            "category": category,
            "page": page,
            "sort": sort,
            "sorts": [
                ("latest", _("Latest")),
                ("top", _("Top")),
                ("unanswered", _("Unanswered")),
                ("solved", _("Solved")),
            ],
            "page_query": f"sort={sort}",
            "viewer": viewer,
            "following": bool(
                category
                and viewer.member
                and category.follows.filter(member=viewer.member).exists()
            ),
        },
    )


@login_required
@require_GET
def topics(request: HttpRequest) -> HttpResponse:
    return _topic_page(request, _viewer(request))


@login_required
@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _viewer(request)
    return _topic_page(request, viewer, category_get_for_user(viewer=viewer, slug=slug))


@login_required
@require_POST
def category_follow(request: HttpRequest, slug: str) -> HttpResponse:
    """Follow a category (hear of its new topics), or stop."""
    viewer = _viewer(request)
    category = category_get_for_user(viewer=viewer, slug=slug)
    if viewer.member is not None:
        if request.POST.get("action") == "stop":
            unfollow(member=viewer.member, category=category)
            messages.success(request, _("You no longer follow this category."))
        else:
            follow_category(member=viewer.member, category=category)
            messages.success(request, _("You follow this category: new topics come by e-mail."))
    return redirect("forums:category", category.slug)


# --- A topic -------------------------------------------------------------------------------------


def _topic_context(request: HttpRequest, viewer: Viewer, topic, form=None, preview=None) -> dict:
    posts = topic_posts(viewer=viewer, topic=topic)
    question = posts[0] if posts else None
    accepted = next((p for p in posts if p.is_accepted), None)
    page = Paginator(posts[1:], POSTS_PAGE_SIZE).get_page(request.GET.get("page"))
    following = bool(viewer.member and topic.follows.filter(member=viewer.member).exists())
    return {
        "topic": topic,
        "question": question,
        "accepted": accepted,
        "page": page,
        "form": form or ReplyForm(),
        "preview": preview,
        "viewer": viewer,
        "following": following,
        "can_reply": _can_reply(viewer, topic),
        "move_form": MoveForm(categories=categories_readable(viewer))
        if viewer.is_moderator
        else None,
        "merge_form": MergeForm() if viewer.is_moderator else None,
    }


def _can_reply(viewer: Viewer, topic) -> bool:
    from forums.permissions import check_reply_topic

    try:
        check_reply_topic(viewer, topic)
    except PermissionDenied:
        return False
    return True


@login_required
@require_GET
def topic(request: HttpRequest, topic_id: int) -> HttpResponse:
    viewer = _viewer(request)
    topic = topic_get_for_user(viewer=viewer, topic_id=topic_id)
    if topic.merged_into_id:
        return redirect("forums:topic", topic.merged_into_id)
    if viewer.member is not None:
        topic_mark_read(member=viewer.member, topic=topic)
    form = None
    quote = request.GET.get("quote", "")
    if quote.isdigit():
        quoted = post_get_for_user(viewer=viewer, post_id=int(quote))
        if quoted.topic_id == topic.pk:
            lines = "\n".join(f"> {line}" for line in quoted.source.splitlines())
            form = ReplyForm(initial={"body": f"{lines}\n\n"})
    return render(request, "forums/topic.html", _topic_context(request, viewer, topic, form=form))


@login_required
@require_POST
def reply(request: HttpRequest, topic_id: int) -> HttpResponse:
    viewer = _viewer(request)
    topic = topic_get_for_user(viewer=viewer, topic_id=topic_id)
    if response := _member_needed(request, viewer):
        return response
    form = ReplyForm(request.POST)
    preview = None
    if form.is_valid():
        body = form.cleaned_data["body"]
        if "preview" in request.POST:
            preview = markdown_render(body)
        else:
            try:
                post = reply_create(viewer=viewer, topic=topic, source=body)
            except ValidationError as error:
                form.add_error("body", _error(request, error))
            else:
                messages.success(request, _("Your reply is posted."))
                return redirect(f"{reverse('forums:topic', args=[topic.pk])}#post-{post.pk}")
    context = _topic_context(request, viewer, topic, form=form, preview=preview)
    return render(request, "forums/topic.html", context, status=200 if form.is_valid() else 400)


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The rendered Markdown of the form's text (htmx), sanitised like a saved post."""
    _viewer(request)
    body = (request.POST.get("body") or "")[:1_100_000]
    return render(request, "forums/_preview.html", {"preview": markdown_render(body)})


@login_required
@require_http_methods(["GET", "POST"])
def topic_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if response := _member_needed(request, viewer):
        return response
    postable = []
    for category in categories_readable(viewer).order_by("order", "name"):
        try:
            check_post_category(viewer, category)
        except PermissionDenied:
            continue
        postable.append(category)
    initial = {"category": request.GET.get("category")}
    form = TopicForm(request.POST or None, categories=postable, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            preview = markdown_render(data["body"])
        else:
            try:
                topic = topic_create(
                    viewer=viewer,
                    category=form.categories[data["category"]],
                    title=data["title"],
                    source=data["body"],
                    kind=data["kind"],
                )
            except ValidationError as error:
                field = "title" if error.code and error.code.startswith("title") else "body"
                form.add_error(field, _error(request, error))
            else:
                messages.success(request, _("Your topic is posted."))
                return redirect("forums:topic", topic.pk)
    status = 400 if request.method == "POST" and "preview" not in request.POST else 200
    return render(
        request,
        "forums/topic_new.html",
        {"form": form, "preview": preview, "no_categories": not postable},
        status=status,
    )


@login_required
@require_GET
def similar(request: HttpRequest) -> HttpResponse:
    """Answered topics like the title being typed (htmx fragment)."""
    viewer = _viewer(request)
    found = similar_answered_topics(viewer=viewer, title=request.GET.get("title", ""))
    return render(request, "forums/_similar.html", {"similar": found})


# --- A post --------------------------------------------------------------------------------------


def _post_fragment(request: HttpRequest, viewer: Viewer, post) -> HttpResponse:
    """After a vote or an accept: htmx gets the post again, a plain form the topic page."""
    if request.htmx:
        topic = post.topic
        fresh = next(p for p in topic_posts(viewer=viewer, topic=topic) if p.pk == post.pk)
        return render(
            request,
            "forums/_post.html",
            {"post": fresh, "topic": topic, "viewer": viewer, "oob_accepted": True},
        )
    return redirect(f"{reverse('forums:topic', args=[post.topic_id])}#post-{post.pk}")


@login_required
@require_POST
def vote(request: HttpRequest, post_id: int) -> HttpResponse:
    viewer = _viewer(request)
    post = post_get_for_user(viewer=viewer, post_id=post_id)
    try:
        if request.POST.get("action") == "remove":
            vote_remove(viewer=viewer, post=post)
        else:
            vote_add(viewer=viewer, post=post)
    except ValidationError as error:
        if request.htmx:
            return HttpResponse(_error(request, error), status=400)
        messages.error(request, _error(request, error))
    return _post_fragment(request, viewer, post)


@login_required
@require_POST
def accept(request: HttpRequest, post_id: int) -> HttpResponse:
    viewer = _viewer(request)
    post = post_get_for_user(viewer=viewer, post_id=post_id)
    try:
        if request.POST.get("action") == "remove":
            answer_unaccept(viewer=viewer, post=post)
        else:
            answer_accept(viewer=viewer, post=post)
    except ValidationError as error:
        if request.htmx:
            return HttpResponse(_error(request, error), status=400)
        messages.error(request, _error(request, error))
        return _post_fragment(request, viewer, post)
    if request.htmx:
        # The accepted answer moves under the question: the page is redrawn.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return _post_fragment(request, viewer, post)


@login_required
@require_http_methods(["GET", "POST"])
def flag(request: HttpRequest, post_id: int) -> HttpResponse:
    viewer = _viewer(request)
    post = post_get_for_user(viewer=viewer, post_id=post_id)
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flag_create(
                viewer=viewer,
                post=post,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, _error(request, error))
        else:
            messages.success(request, _("Thank you: a moderator will look at it."))
            return redirect(f"{reverse('forums:topic', args=[post.topic_id])}#post-{post.pk}")
    status = 400 if request.method == "POST" else 200
    return render(request, "forums/flag.html", {"form": form, "post": post}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, post_id: int) -> HttpResponse:
    viewer = _viewer(request)
    post = post_get_for_user(viewer=viewer, post_id=post_id)
    try:
        check_edit_post(viewer, post)
    except PermissionDenied as error:
        messages.error(request, _error(request, error))
        return redirect(f"{reverse('forums:topic', args=[post.topic_id])}#post-{post.pk}")
    initial = {"body": post.source, "title": post.topic.title}
    form = EditForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            preview = markdown_render(data["body"])
        else:
            try:
                post_edit(
                    viewer=viewer,
                    post=post,
                    source=data["body"],
                    title=data["title"] if post.is_first else None,
                    reason=data["reason"],
                )
            except ValidationError as error:
                field = "title" if error.code and error.code.startswith("title") else "body"
                form.add_error(field, _error(request, error))
            else:
                messages.success(request, _("Your changes are saved."))
                return redirect(f"{reverse('forums:topic', args=[post.topic_id])}#post-{post.pk}")
    status = 400 if request.method == "POST" and "preview" not in request.POST else 200
    return render(
        request,
        "forums/edit.html",
        {"form": form, "post": post, "preview": preview},
        status=status,
    )


@login_required
@require_POST
def delete(request: HttpRequest, post_id: int) -> HttpResponse:
    viewer = _viewer(request)
    post = post_get_for_user(viewer=viewer, post_id=post_id)
    try:
        post_delete(viewer=viewer, post=post)
    except ValidationError as error:
        messages.error(request, _error(request, error))
    else:
        messages.success(request, _("Your post is removed."))
    if post.is_first and post.is_hidden and not viewer.is_moderator:
        return redirect("forums:index")
    return redirect(f"{reverse('forums:topic', args=[post.topic_id])}#post-{post.pk}")


@login_required
@require_GET
def history(request: HttpRequest, post_id: int) -> HttpResponse:
    """Earlier versions of a post: for its author and moderators."""
    viewer = _viewer(request)
    post = post_get_for_user(viewer=viewer, post_id=post_id)
    if not (viewer.is_moderator or (viewer.member and post.author_id == viewer.member.pk)):
        raise PermissionDenied(_("Only the author and moderators can see earlier versions."))
    return render(
        request, "forums/history.html", {"post": post, "revisions": post_revisions(post=post)}
    )


@login_required
@require_POST
def follow(request: HttpRequest, topic_id: int) -> HttpResponse:
    viewer = _viewer(request)
    topic = topic_get_for_user(viewer=viewer, topic_id=topic_id)
    if viewer.member is not None:
        if request.POST.get("action") == "stop":
            unfollow(member=viewer.member, topic=topic)
            messages.success(request, _("You no longer follow this topic."))
        else:
            follow_topic(member=viewer.member, topic=topic)
            messages.success(request, _("You follow this topic."))
    return redirect("forums:topic", topic.pk)


# --- Search, profile, helpers --------------------------------------------------------------------


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    query = (request.GET.get("q") or "").strip()[:200]
    hits = post_search(viewer=viewer, query=query) if query else []
    return render(request, "forums/search.html", {"query": query, "hits": hits})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if viewer.member is None:
        return redirect("forums:index")
    forum_profile = profile_for(member=viewer.member)
    name_form = DisplayNameForm(request.POST if "display_name" in request.POST else None)
    prefs_form = PreferencesForm(
        request.POST if "preferences" in request.POST else None,
        initial={
            "email_on_reply": forum_profile.email_on_reply,
            "email_on_mention": forum_profile.email_on_mention,
            "email_on_accepted": forum_profile.email_on_accepted,
        },
    )
    if request.method == "POST":
        if "display_name" in request.POST and name_form.is_valid():
            try:
                display_name_set(
                    member=viewer.member, display_name=name_form.cleaned_data["display_name"]
                )
            except ValidationError as error:
                name_form.add_error("display_name", _error(request, error))
            else:
                messages.success(request, _("Your display name is chosen."))
                target = request.POST.get("next") or ""
                if target.startswith("/forums/"):
                    return redirect(target)
                return redirect("forums:profile")
        elif "preferences" in request.POST and prefs_form.is_valid():
            data = prefs_form.cleaned_data
            notification_preferences_set(
                member=viewer.member,
                reply=data["email_on_reply"],
                mention=data["email_on_mention"],
                accepted=data["email_on_accepted"],
            )
            messages.success(request, _("Your e-mail choices are saved."))
            return redirect("forums:profile")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "forums/profile.html",
        {
            "forum_profile": forum_profile,
            "name_form": name_form,
            "prefs_form": prefs_form,
            "next": request.GET.get("next", ""),
        },
        status=status,
    )


@login_required
@require_GET
def helpers(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    return render(
        request,
        "forums/helpers.html",
        {
            "month": top_helpers(since=month_start()),
            "all_time": top_helpers(),
            "month_name": timezone.localdate(),
        },
    )


# --- Moderator actions on the topic page ---------------------------------------------------------


@login_required
@require_POST
def moderate_topic(request: HttpRequest, topic_id: int, action: str) -> HttpResponse:
    from forums.services import moderation

    viewer = _viewer(request)
    check_moderate(viewer)
    topic = topic_get_for_user(viewer=viewer, topic_id=topic_id)
    reason = ReasonForm(request.POST)
    reason.is_valid()
    text = reason.cleaned_data.get("reason", "")
    target = topic
    try:
        if action in ("lock", "unlock"):
            moderation.topic_lock(
                viewer=viewer, topic=topic, locked=action == "lock", reason=text, request=request
            )
        elif action in ("pin", "unpin"):
            moderation.topic_pin(
                viewer=viewer, topic=topic, pinned=action == "pin", request=request
            )
        elif action == "move":
            form = MoveForm(request.POST, categories=categories_readable(viewer))
            if not form.is_valid():
                raise ValidationError(_("Choose a category."))
            moderation.topic_move(
                viewer=viewer,
                topic=topic,
                category=form.cleaned_data["category"],
                reason=text,
                request=request,
            )
        elif action == "merge":
            form = MergeForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Give the number of the topic to merge into."))
            into = topic_get_for_user(viewer=viewer, topic_id=form.cleaned_data["into"])
            target = moderation.topic_merge(
                viewer=viewer, topic=topic, into=into, reason=text, request=request
            )
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as error:
        messages.error(request, _error(request, error))
    else:
        messages.success(request, _("Done."))
    return redirect("forums:topic", target.pk)


@login_required
@require_POST
def moderate_post(request: HttpRequest, post_id: int, action: str) -> HttpResponse:
    from forums.services import moderation

    viewer = _viewer(request)
    check_moderate(viewer)
    post = post_get_for_user(viewer=viewer, post_id=post_id)
    reason = ReasonForm(request.POST)
    reason.is_valid()
    text = reason.cleaned_data.get("reason", "")
    try:
        if action == "hide":
            moderation.post_hide(viewer=viewer, post=post, reason=text, request=request)
        elif action == "restore":
            moderation.post_restore(viewer=viewer, post=post, reason=text, request=request)
        elif action == "dismiss":
            moderation.flags_dismiss(viewer=viewer, post=post, request=request)
        elif action == "suspend":
            from forums.forms import SuspendForm

            form = SuspendForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Give the number of days."))
            until = timezone.now() + datetime.timedelta(days=form.cleaned_data["days"])
            moderation.member_suspend(
                viewer=viewer, member=post.author, until=until, reason=text, request=request
            )
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as error:
        messages.error(request, _error(request, error))
    else:
        messages.success(request, _("Done."))
    back = request.POST.get("next") or ""
    if back.startswith("/admin/"):
        return redirect(back)
    return redirect(f"{reverse('forums:topic', args=[post.topic_id])}#post-{post.pk}")
