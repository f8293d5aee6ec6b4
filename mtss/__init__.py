"""MTSS / RtI case management: the project package and the core of the product."""
from .celery import app as celery_app

__all__ = ("celery_app",)
