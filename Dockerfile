# Production image: gunicorn for the web, the same image for Celery worker and beat.
FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu fonts-noto-core fonts-noto-cjk gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The same pinned, hashed versions as every other install (`make lock` writes the lock).
COPY requirements/lock.txt requirements/lock.txt
RUN pip install --no-cache-dir uv==0.13.9 && uv pip install --system --no-cache --require-hashes --compile-bytecode -r requirements/lock.txt
COPY . .
# A failed collectstatic or compilemessages fails the build: an image without its static
# files or translations must not ship.
# PYTHONDONTWRITEBYTECODE keeps the running container read-only for code, so the bytecode
# is compiled here, once: otherwise every process compiles every module at start-up.
RUN python -m compileall -q manage.py mtss students screening interventions notifications reports demo
RUN SECRET_KEY=build-only DJANGO_DEBUG=0 python manage.py collectstatic --no-input -v 0 \
    && SECRET_KEY=build-only DJANGO_DEBUG=0 python manage.py compilemessages -v 0 --ignore '.venv/*'
RUN useradd --create-home --uid 10001 mtss && mkdir -p /app/var && chown -R mtss /app/var
USER mtss
EXPOSE 8000
# X-Forwarded-* is believed only from the proxies named in FORWARDED_ALLOW_IPS (gunicorn, the
# scheme) and MTSS_TRUSTED_PROXIES (the app, the client IP); both default to none but loopback.
CMD ["gunicorn", "mtss.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
