"""The forums over the API, for members: categories, topics, posts and search to read; topics,
replies, edits, votes, accepted answers and flags to write (each write honours an
Idempotency-Key). The same access checks and services as the pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import DefaultPagination
from core.idempotency import HEADER, idempotent
from forums.models import Flag, Topic
from forums.permissions import (
    Viewer,
    can_read_post,
    category_get_for_user,
    post_get_for_user,
    topic_get_for_user,
    viewer_for_user,
)
from forums.selectors.search import post_search
from forums.selectors.topics import SORTS, category_list, topic_list, topic_posts
from forums.services.answers import answer_accept, answer_unaccept, vote_add, vote_remove
from forums.services.moderation import flag_create
from forums.services.posting import post_delete, post_edit, reply_create, topic_create
from forums.templatetags.forum_tags import forum_badge, forum_name

IDEMPOTENCY = OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, required=False)


def api_viewer(request: Request) -> Viewer:
    viewer = viewer_for_user(request.user)
    if viewer.member is None and not (viewer.is_staff or viewer.is_moderator):
        raise PermissionDenied(_("The forums are for club members."))
    return viewer


def refused(error: DjangoValidationError) -> Response:
    code = error.code or "invalid"
    body = {"detail": error.messages[0], "code": code}
    if code == "rate_limited":
        params = error.params or {}
        body["retry_at"] = params.get("retry_at")
        return Response(body, status=status.HTTP_429_TOO_MANY_REQUESTS)
    if code == "permission_denied":
        return Response(body, status=status.HTTP_403_FORBIDDEN)
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class CategoryOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    topic_count = serializers.IntegerField(source="topic_total")


class TopicOutput(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.CharField(source="category.slug")
    kind = serializers.CharField()
    title = serializers.CharField()
    author = serializers.SerializerMethodField()
    is_locked = serializers.BooleanField()
    is_pinned = serializers.BooleanField()
    is_solved = serializers.BooleanField()
    is_unread = serializers.BooleanField(default=False)
    reply_count = serializers.IntegerField()
    score = serializers.IntegerField()
    last_post_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()

    def get_author(self, topic: Topic) -> str:
        return forum_name(topic.author)


class PostOutput(serializers.Serializer):
    id = serializers.IntegerField()
    topic = serializers.IntegerField(source="topic_id")
    number = serializers.IntegerField()
    author = serializers.SerializerMethodField()
    author_badge = serializers.SerializerMethodField()
    html = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField()
    is_hidden = serializers.BooleanField()
    is_accepted = serializers.BooleanField()
    helpful_count = serializers.IntegerField()
    voted = serializers.BooleanField(default=False)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)

    def _readable(self, post) -> bool:
        return can_read_post(self.context["viewer"], post)

    def get_author(self, post) -> str:
        return forum_name(post.author)

    def get_author_badge(self, post) -> str:
        return forum_badge(post.author)

    def get_html(self, post) -> str | None:
        return post.html if self._readable(post) else None

    def get_source(self, post) -> str | None:
        return post.source if self._readable(post) else None


class CategoryListApi(APIView):
    """GET: the categories the member may read."""

    @extend_schema(parameters=[OpenApiParameter("page", int)], responses=CategoryOutput(many=True))
    def get(self, request: Request) -> Response:
        categories = list(category_list(viewer=api_viewer(request)))
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(categories, request, view=self)
        return paginator.get_paginated_response(CategoryOutput(page, many=True).data)


class TopicListApi(APIView):
    """GET: topics the member may read, sorted latest, top, unanswered or solved. POST: start a
    topic (a question or a discussion) with its first post."""

    class FilterSerializer(serializers.Serializer):
        category = serializers.SlugField(required=False)
        sort = serializers.ChoiceField(choices=SORTS, required=False, default="latest")

    class TopicCreateInputSerializer(serializers.Serializer):
        category = serializers.SlugField()
        kind = serializers.ChoiceField(choices=Topic.Kind.choices, default=Topic.Kind.QUESTION)
        title = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=1000)
        body = serializers.CharField(allow_blank=True, trim_whitespace=False)

    @extend_schema(
        parameters=[FilterSerializer, OpenApiParameter("page", int)],
        responses=TopicOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        viewer = api_viewer(request)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        category = None
        if filters.validated_data.get("category"):
            category = category_get_for_user(viewer=viewer, slug=filters.validated_data["category"])
        topics = topic_list(viewer=viewer, category=category, sort=filters.validated_data["sort"])
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(topics, request, view=self)
        return paginator.get_paginated_response(TopicOutput(page, many=True).data)

    @extend_schema(
        request=TopicCreateInputSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: TopicOutput, 400: dict, 403: dict, 429: dict},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        viewer = api_viewer(request)
        data = self.TopicCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = category_get_for_user(viewer=viewer, slug=data.validated_data["category"])
        try:
            topic = topic_create(
                viewer=viewer,
                category=category,
                title=data.validated_data["title"],
                source=data.validated_data["body"],
                kind=data.validated_data["kind"],
            )
        except DjangoValidationError as error:
            return refused(error)
        return Response(TopicOutput(topic).data, status=status.HTTP_201_CREATED)


class TopicDetailApi(APIView):
    """GET: a topic and its posts (hidden posts without their text, unless yours or you
    moderate). POST: reply."""

    class ReplyInputSerializer(serializers.Serializer):
        body = serializers.CharField(allow_blank=True, trim_whitespace=False)

    @extend_schema(responses={200: dict})
    def get(self, request: Request, topic_id: int) -> Response:
        viewer = api_viewer(request)
        topic = topic_get_for_user(viewer=viewer, topic_id=topic_id)
        posts = topic_posts(viewer=viewer, topic=topic)
        return Response(
            {
                "topic": TopicOutput(topic).data,
                "posts": PostOutput(posts, many=True, context={"viewer": viewer}).data,
            }
        )

    @extend_schema(
        request=ReplyInputSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: PostOutput, 400: dict, 403: dict, 429: dict},
        operation_id="v1_forums_topics_reply",
    )
    @idempotent
    def post(self, request: Request, topic_id: int) -> Response:
        viewer = api_viewer(request)
        topic = topic_get_for_user(viewer=viewer, topic_id=topic_id)
        data = self.ReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            post = reply_create(viewer=viewer, topic=topic, source=data.validated_data["body"])
        except DjangoValidationError as error:
            return refused(error)
        return Response(
            PostOutput(post, context={"viewer": viewer}).data, status=status.HTTP_201_CREATED
        )


class PostApi(APIView):
    """PATCH: edit a post (yours within the edit window, or as a moderator). DELETE: remove it."""

    class PostEditInputSerializer(serializers.Serializer):
        body = serializers.CharField(allow_blank=True, trim_whitespace=False)
        title = serializers.CharField(required=False, allow_blank=True, max_length=1000)
        reason = serializers.CharField(required=False, allow_blank=True, max_length=300)

    @extend_schema(
        request=PostEditInputSerializer, parameters=[IDEMPOTENCY], responses={200: PostOutput}
    )
    @idempotent
    def patch(self, request: Request, post_id: int) -> Response:
        viewer = api_viewer(request)
        post = post_get_for_user(viewer=viewer, post_id=post_id)
        data = self.PostEditInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            post = post_edit(
                viewer=viewer,
                post=post,
                source=data.validated_data["body"],
                title=data.validated_data.get("title"),
                reason=data.validated_data.get("reason", ""),
            )
        except DjangoValidationError as error:
            return refused(error)
        return Response(PostOutput(post, context={"viewer": viewer}).data)

    @extend_schema(request=None, parameters=[IDEMPOTENCY], responses={204: None})
    @idempotent
    def delete(self, request: Request, post_id: int) -> Response:
        viewer = api_viewer(request)
        post = post_get_for_user(viewer=viewer, post_id=post_id)
        try:
            post_delete(viewer=viewer, post=post)
        except DjangoValidationError as error:
            return refused(error)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _PostActionApi(APIView):
    def _run(self, request: Request, post_id: int, action) -> Response:
        viewer = api_viewer(request)
        post = post_get_for_user(viewer=viewer, post_id=post_id)
        try:
            post = action(viewer=viewer, post=post)
        except DjangoValidationError as error:
            return refused(error)
        post = post_get_for_user(viewer=viewer, post_id=post.pk)
        return Response(PostOutput(post, context={"viewer": viewer}).data)


class PostVoteApi(_PostActionApi):
    """POST: vote the post helpful (once, never your own). DELETE: take the vote back."""

    @extend_schema(request=None, parameters=[IDEMPOTENCY], responses={200: PostOutput})
    @idempotent
    def post(self, request: Request, post_id: int) -> Response:
        return self._run(request, post_id, vote_add)

    @extend_schema(request=None, parameters=[IDEMPOTENCY], responses={200: PostOutput})
    @idempotent
    def delete(self, request: Request, post_id: int) -> Response:
        return self._run(request, post_id, vote_remove)


class PostAcceptApi(_PostActionApi):
    """POST: accept the answer (the asker or a moderator). DELETE: take the acceptance back."""

    @extend_schema(request=None, parameters=[IDEMPOTENCY], responses={200: PostOutput})
    @idempotent
    def post(self, request: Request, post_id: int) -> Response:
        return self._run(request, post_id, answer_accept)

    @extend_schema(request=None, parameters=[IDEMPOTENCY], responses={200: PostOutput})
    @idempotent
    def delete(self, request: Request, post_id: int) -> Response:
        return self._run(request, post_id, answer_unaccept)


class PostFlagApi(APIView):
    """POST: flag the post for the moderators (once per member)."""

    class FlagInputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(choices=Flag.Reason.choices)
        note = serializers.CharField(required=False, allow_blank=True, max_length=500)

    @extend_schema(
        request=FlagInputSerializer, parameters=[IDEMPOTENCY], responses={201: dict, 400: dict}
    )
    @idempotent
    def post(self, request: Request, post_id: int) -> Response:
        viewer = api_viewer(request)
        post = post_get_for_user(viewer=viewer, post_id=post_id)
        data = self.FlagInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            flag = flag_create(
                viewer=viewer,
                post=post,
                reason=data.validated_data["reason"],
                note=data.validated_data.get("note", ""),
            )
        except DjangoValidationError as error:
            return refused(error)
        return Response({"id": flag.pk, "reason": flag.reason}, status=status.HTTP_201_CREATED)


class SearchApi(APIView):
    """GET: posts matching `q`, best first, with highlighted snippets (HTML, sanitised)."""

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=200)

    @extend_schema(parameters=[FilterSerializer], responses={200: dict})
    def get(self, request: Request) -> Response:
        viewer = api_viewer(request)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        hits = post_search(viewer=viewer, query=filters.validated_data["q"])
        return Response(
            {
                "results": [
                    {
                        "post": hit.post.pk,
                        "topic": hit.post.topic_id,
                        "title": hit.post.topic.title,
                        "snippet": str(hit.snippet),
                        "rank": hit.rank,
                    }
                    for hit in hits
                ]
            }
        )
