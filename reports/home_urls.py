from django.urls import path

from reports import home

urlpatterns = [
    path("", home.home, name="home"),
]
