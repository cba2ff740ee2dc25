from django.urls import path

from .views import (
    CategoryListApi,
    PostAcceptApi,
    PostApi,
    PostFlagApi,
    PostVoteApi,
    SearchApi,
    TopicDetailApi,
    TopicListApi,
)

urlpatterns = [
    path("forums/categories/", CategoryListApi.as_view(), name="api-forum-categories"),
    path("forums/topics/", TopicListApi.as_view(), name="api-forum-topics"),
    path("forums/topics/<int:topic_id>/", TopicDetailApi.as_view(), name="api-forum-topic"),
    path("forums/posts/<int:post_id>/", PostApi.as_view(), name="api-forum-post"),
    path("forums/posts/<int:post_id>/vote/", PostVoteApi.as_view(), name="api-forum-vote"),
    path("forums/posts/<int:post_id>/accept/", PostAcceptApi.as_view(), name="api-forum-accept"),
    path("forums/posts/<int:post_id>/flag/", PostFlagApi.as_view(), name="api-forum-flag"),
    path("forums/search/", SearchApi.as_view(), name="api-forum-search"),
]
