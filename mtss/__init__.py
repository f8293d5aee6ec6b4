"""MTSS / RtI case management: the project package and the core of the product.

The Celery app is loaded by the tasks modules (each imports ``mtss.celery``, so the project's
app is current before a task is sent) and on demand as ``mtss.celery_app``; not when Django
starts (``manage.py`` commands that send no task skip Celery), nor on import: the pure rules engine
(``python -m mtss.rules.evaluate``) imports this package and must start in well
under a second without Django settings or a SECRET_KEY.
"""

__all__ = ("celery_app",)


def __getattr__(name: str):
    if name == "celery_app":
        from .celery import app

        return app
    raise AttributeError(f"module 'mtss' has no attribute {name!r}")
