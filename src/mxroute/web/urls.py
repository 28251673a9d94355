"""The web panel's URLs (namespace ``web``), served at the site root."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from mxroute.web import account_views, views

app_name = "web"
urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", account_views.login_view, name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("", views.domains, name="domains"),
    path("domains/<str:domain>/", views.domain, name="domain"),
    path("domains/<str:domain>/routing/", views.routing, name="routing"),
    path("domains/<str:domain>/mx/add/", views.mx_add, name="mx_add"),
    path("domains/<str:domain>/mx/edit/", views.mx_edit, name="mx_edit"),
    path("domains/<str:domain>/mx/delete/", views.mx_delete, name="mx_delete"),
    path("domains/<str:domain>/undo/", views.undo, name="undo"),
    path("tokens/", account_views.tokens, name="tokens"),
    path("tokens/<str:name>/revoke/", account_views.revoke_token, name="revoke_token"),
]
