from django.urls import path

from forums.views import email, portal

app_name = "forums"
urlpatterns = [
    path("forums/", portal.index, name="index"),
    path("forums/topics/", portal.topics, name="topics"),
    path("forums/c/<slug:slug>/", portal.category, name="category"),
    path("forums/c/<slug:slug>/follow/", portal.category_follow, name="category-follow"),
    path("forums/new/", portal.topic_new, name="topic-new"),
    path("forums/similar/", portal.similar, name="similar"),
    path("forums/preview/", portal.preview, name="preview"),
    path("forums/search/", portal.search, name="search"),
    path("forums/profile/", portal.profile, name="profile"),
    path("forums/helpers/", portal.helpers, name="helpers"),
    path("forums/stop/<str:token>/", email.stop, name="stop"),
    path("forums/t/<int:topic_id>/", portal.topic, name="topic"),
    path("forums/t/<int:topic_id>/reply/", portal.reply, name="reply"),
    path("forums/t/<int:topic_id>/follow/", portal.follow, name="follow"),
    path(
        "forums/t/<int:topic_id>/moderate/<str:action>/",
        portal.moderate_topic,
        name="moderate-topic",
    ),
    path("forums/p/<int:post_id>/vote/", portal.vote, name="vote"),
    path("forums/p/<int:post_id>/accept/", portal.accept, name="accept"),
    path("forums/p/<int:post_id>/flag/", portal.flag, name="flag"),
    path("forums/p/<int:post_id>/edit/", portal.edit, name="edit"),
    path("forums/p/<int:post_id>/delete/", portal.delete, name="delete"),
    path("forums/p/<int:post_id>/history/", portal.history, name="history"),
    path(
        "forums/p/<int:post_id>/moderate/<str:action>/",
        portal.moderate_post,
        name="moderate-post",
    ),
]
