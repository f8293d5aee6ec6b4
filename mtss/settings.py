"""Settings for the MTSS platform: one module, driven by environment variables.

Defaults are safe for the embedded demo (SQLite, jobs run in-process, mail to
files). Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and friends; the
README lists every variable.
"""

import ipaddress
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from mtss.env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("MTSS_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DJANGO_DEBUG", False)
# Test mode is explicit: the test settings (mtss/settings_test.py, named in pyproject.toml)
# and the tests' own subprocesses set MTSS_TESTING. Importing pytest never switches it on.
TESTING = envbool("MTSS_TESTING", False)
SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and not TESTING:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off")
    # Only the demo and the tests get here; production refuses to start above.
    SECRET_KEY = "insecure-demo-key-not-for-production-" + "x" * 32

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "mtss",
    "students",
    "interventions",
    "screening",
    "notifications",
    "reports",
    "demo",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "rules",
    "axes",
    "django_htmx",
    # Single sign-on and MFA (issue 15): providers are configured per district (mtss.sso).
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.mfa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "mtss.middleware.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "mtss.middleware.TenantMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "mtss.sso.middleware.RequireMfaMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mtss.urls"
WSGI_APPLICATION = "mtss.wsgi.application"
AUTH_USER_MODEL = "mtss.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mtss.context_processors.tenant",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# DATABASE_URL unset -> the embedded SQLite demo. On PostgreSQL the app logs in
# as a role that owns no table and cannot bypass row-level security
# (DATABASE_URL); migrations connect as the owner (MIGRATE_DATABASE_URL). Without
# MIGRATE_DATABASE_URL (a local set-up that logs in as the owner) each connection
# falls back to `SET ROLE DB_APP_ROLE`; README, Production, "Database roles".
DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60), conn_health_checks=True)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db["ENGINE"] = "mtss.db.backends.postgresql"
        _migrate_url = envstr("MIGRATE_DATABASE_URL")
        if _migrate_url:
            _owner = dj_database_url.parse(_migrate_url)
            _db["OWNER"] = {key: _owner.get(key) for key in ("USER", "PASSWORD", "HOST", "PORT")}
            _db["APP_ROLE"] = envstr("DB_APP_ROLE", "")
        else:
            _db["APP_ROLE"] = envstr("DB_APP_ROLE", "mtss_app")
        # Behind PgBouncer in transaction mode a cursor cannot outlive its transaction.
        _db["DISABLE_SERVER_SIDE_CURSORS"] = envbool("DB_DISABLE_SERVER_SIDE_CURSORS", False)
        _db.setdefault("TEST", {})["SERIALIZE"] = False
        # JIT off on the app's connections (mtss/db/backends/postgresql/base.py says why).
        _db["JIT"] = envbool("DB_JIT", False)
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "demo.sqlite3"}
DATABASES = {"default": _db}
# A streaming replica (README, Production, "Read replica"): dashboards and exports read
# there (mtss.db.router); everything else, and every write, stays on `default`.
DATABASE_REPLICA_URL = envstr("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL and _db["ENGINE"] == "mtss.db.backends.postgresql":
    from mtss.db.router import replica_settings

    DATABASES["replica"] = replica_settings(DATABASE_REPLICA_URL, _db)
DATABASE_ROUTERS = ["mtss.db.router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, jobs ----------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", REDIS_URL)
# Without a broker (the demo) jobs run in-process, synchronously.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_RESULT_BACKEND = envstr("CELERY_RESULT_BACKEND", REDIS_URL) or None
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A staff action never waits on Redis (mtss/jobs.py): a short connect timeout for publishing
# and for the result store. The worker itself still retries its own connection at start-up.
CELERY_BROKER_CONNECTION_TIMEOUT = envint("CELERY_BROKER_CONNECTION_TIMEOUT", 2)
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT
# No job may run for ever (a hung mail server, a stuck PDF): the soft limit raises in the task,
# which records its failure; the hard limit kills the worker child, whose job is then found by
# its sweeper (a notice's claim expires). Long jobs (imports, syncs, print batches) set their own.
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 660)


def cron(**fields) -> dict:
    """A beat entry's crontab fields, as data: mtss/celery.py makes Celery's `crontab` of them when
    Celery configures itself, so reading the settings (every manage.py command) does not import
    Celery, kombu and their dependencies (about a second; issue 16, "Start-up")."""
    return {"crontab": fields}


# The beat schedule: task names only (strings), so the core imports no app. A small fixed
# schedule; each entry fans out to the districts that are due, and every task is idempotent
# (a notice's unique key, claimed sends, a delivery per subscription and week, a snapshot
# replaced whole), so a beat that fires twice never sends anything twice (ARCHITECTURE.md, Jobs).
CELERY_BEAT_SCHEDULE = {
    "notices-outbox-sweep": {"task": "notifications.tasks.outbox_sweep", "schedule": 60.0},
    "notices-progress-reports": {
        "task": "notifications.tasks.progress_reports_due",
        "schedule": cron(hour=6, minute=0),
    },
    "notices-screening-results": {
        "task": "notifications.tasks.screening_letters_due",
        "schedule": cron(hour=6, minute=15),
    },
    # Daily: the start-of-year letters once the school year's first instructional day has come.
    "notices-start-of-year": {
        "task": "notifications.tasks.start_of_year_letters_due",
        "schedule": cron(hour=6, minute=20),
    },
    # School-day evenings, after check-out: the check-in/check-out card summaries to families.
    "notices-point-card-summaries": {
        "task": "notifications.tasks.point_card_summaries_due",
        "schedule": cron(hour=16, minute=30, day_of_week="mon-fri"),
    },
    "notices-staff-reminders": {
        "task": "notifications.tasks.staff_reminders_due",
        "schedule": cron(hour=6, minute=30, day_of_week="mon"),
    },
    # Monday morning, after the weekend: last week's fidelity summary to subscribers.
    "reports-weekly-fidelity": {
        "task": "reports.tasks.weekly_fidelity_summaries_due",
        "schedule": cron(hour=6, minute=45, day_of_week="mon"),
    },
    # Hourly: staged import uploads older than a day are deleted (they hold student data).
    "imports-purge-staged-uploads": {
        "task": "screening.tasks.import_uploads_purge_task",
        "schedule": cron(minute=5),
    },
    # Nightly: the district dashboard's snapshots (reports.models.PlanEvaluation, DashboardCount).
    "reports-evaluations-nightly": {
        "task": "reports.tasks.refresh_evaluations_all",
        "schedule": cron(hour=2, minute=15),
    },
    # Nightly, before the morning's letters: each district's OneRoster API sync (students.tasks).
    "students-roster-sync": {
        "task": "students.tasks.roster_sync_due",
        "schedule": cron(hour=1, minute=30),
    },
    # Nightly: the early-warning indicators of every district (issue 17; also after each import).
    "students-early-warning-nightly": {
        "task": "students.early_warning.tasks.indicators_refresh_all",
        "schedule": cron(hour=2, minute=30),
    },
    # Nightly: each district's retention dry run, kept as its report (issue 18; reports/retention.py).
    "reports-retention-nightly": {
        "task": "reports.tasks.retention_due",
        "schedule": cron(hour=3, minute=15),
    },
}
# OneRoster API pulls: seconds to wait for one answer before the sync fails.
ONEROSTER_TIMEOUT_SECONDS = float(envstr("ONEROSTER_TIMEOUT_SECONDS", "30"))
# Records asked for per page (the specification's `limit`); servers may cap it lower.
ONEROSTER_PAGE_SIZE = envint("ONEROSTER_PAGE_SIZE", 1000)

# --- Auth, sessions, security ------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-guardian: no anonymous user row; anonymous visitors never see student data.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# The proxies whose X-Forwarded-For is believed (addresses or networks); the client IP
# of the access log, the lockout and the rate limits comes from mtss.client_ip.
MTSS_TRUSTED_PROXIES = envlist("MTSS_TRUSTED_PROXIES")
for _proxy in MTSS_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"MTSS_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network") from None

# Login throttling (django-axes): 5 failures for one username from one client IP pause that
# pair for 15 minutes. Only that pair: the same user signing in from another address is not
# locked out, so nobody can lock a principal out by guessing at their password. Guessing
# many usernames from one address is throttled per IP (LOGIN_RATE_PER_IP, mtss.throttles).
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "mtss.client_ip.axes_client_ip"
# django-ratelimit keys "ip" by the same client IP (login, password reset).
RATELIMIT_IP_META_KEY = "mtss.client_ip.client_ip"
# If the cache is down, let requests through (axes' lockout still holds, in the database).
RATELIMIT_FAIL_OPEN = True
LOGIN_RATE_PER_IP = envstr("LOGIN_RATE_PER_IP", "30/10m")
PASSWORD_RESET_RATE_PER_IP = envstr("PASSWORD_RESET_RATE_PER_IP", "10/h")
PASSWORD_RESET_RATE_PER_EMAIL = envstr("PASSWORD_RESET_RATE_PER_EMAIL", "3/h")
# The family portal: sign-ins, codes and magic-link requests per client IP (notifications.portal.auth).
PORTAL_RATE_PER_IP = envstr("PORTAL_RATE_PER_IP", "20/10m")
PDF_RATE_PER_USER = envstr("PDF_RATE_PER_USER", "20/m")
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLED = envbool("AXES_ENABLED", True)

# --- Single sign-on and MFA (django-allauth; mtss.sso, README "Single sign-on") ----------
# No provider lives in settings or in allauth's SocialApp table: each district configures its
# own on /settings/sign-in/, and mtss.sso.adapters builds allauth's app from that row.
ACCOUNT_ADAPTER = "mtss.sso.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "mtss.sso.adapters.SocialAccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_REDIRECT_URL = "login"
# Never create an account from a sign-in: an identity maps to a membership the roster knows.
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = envint("SSO_REQUESTS_TIMEOUT", 10)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = envstr("MFA_TOTP_ISSUER", "MTSS")
# One 30-second step either side: a phone's clock drifts (RFC 6238, section 5.2).
MFA_TOTP_TOLERANCE = 1
# Issue 15: "TOTP is required for district administrators and optional for others".
# The test suite signs its district administrators in with force_login and turns the
# requirement on only in the tests of it (tests/test_sso_mfa.py).
MTSS_MFA_REQUIRED_ROLES = envlist("MFA_REQUIRED_ROLES", "" if TESTING else "district_admin")
# The key that encrypts stored client secrets (Fernet); derived from SECRET_KEY when unset.
SSO_SECRETS_KEY = envstr("SSO_SECRETS_KEY")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (Django's own middleware): scripts and styles only from
# our static files (htmx, Pico, app.css); the one inline <style> (a letter's
# preview) carries the request's nonce. No inline script, no inline style attribute.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if not DEBUG and not TESTING:
    SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a one-way commitment for the district's whole domain: opt-in.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Mail --------------------------------------------------------------------------
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
# Seconds a mail server may take to answer (connect, greeting, each command). Django's default
# is none: a server that accepted the connection and never answered hung both workers for six
# minutes (issue 16, item 8). A send that times out is recorded as failed and retried.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)
# A worker's claim on a notice it is sending: longer than notice_send's hard time limit (150 s).
NOTICE_CLAIM_SECONDS = envint("NOTICE_CLAIM_SECONDS", 300)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "MTSS <no-reply@mtss.invalid>")

# --- i18n ----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
# The family portal's strings in the letters' other languages sit beside its code (machine-drafted,
# as the letters' catalogues are); locale/ comes first, so its entries win where both have one.
# The folder is not named `locale`: makemessages would then write the portal's Spanish there.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "notifications" / "portal" / "catalogues"]
# mtss/formats/es: Spanish dates with US number conventions (a decimal point), as es_US.
FORMAT_MODULE_PATH = ["mtss.formats"]
USE_I18N = True
TIME_ZONE = envstr("TIME_ZONE", "America/New_York")
USE_TZ = True

# --- Static files ----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
WHITENOISE_USE_FINDERS = DEBUG or TESTING
if DEBUG or TESTING:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # quiets whitenoise before collectstatic
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Import jobs (README.md, "Import jobs") --------------------------------------------
# Caps on one import, checked before a row is parsed: what it unpacks to in all, and lines per file.
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 2 * 1024**3)
IMPORT_MAX_LINES = envint("IMPORT_MAX_LINES", 5_000_000)
# A bulk roster that would exit more than this percentage of the district's active students or
# staff is refused unless the administrator confirms the exact number (issue 15, "Safety").
ROSTER_EXIT_CONFIRM_PERCENT = envint("ROSTER_EXIT_CONFIRM_PERCENT", 10)
# ... and at least this many records: in a pilot of 20 students, two leaving is no accident.
ROSTER_EXIT_CONFIRM_MIN = envint("ROSTER_EXIT_CONFIRM_MIN", 5)
# Run import jobs inside the request that queued them (the embedded demo, which has no broker).
IMPORT_JOBS_IN_PROCESS = envbool("IMPORT_JOBS_IN_PROCESS", CELERY_TASK_ALWAYS_EAGER)
# A queue of their own for imports (long jobs), e.g. "imports" with a worker started with -Q imports;
# empty: Celery's default queue.
IMPORT_JOBS_QUEUE = envstr("IMPORT_JOBS_QUEUE", "")

# --- API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mtss.api_auth.DistrictTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["mtss.api_auth.IsDistrictMember"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": envstr("API_THROTTLE_RATE", "2000/hour")},
    "EXCEPTION_HANDLER": "mtss.api_errors.exception_handler",
    "DEFAULT_METADATA_CLASS": "mtss.api_metadata.ApiMetadata",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MTSS API",
    "DESCRIPTION": "Students, guardians and enrolments of one district. A token belongs to one district.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["mtss.api_auth.IsDistrictMember"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "mtss.api_schema.document_error_responses",
    ],
    # Several models have a `status` field; each choice set gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": "students.models.LANGUAGES",
        "PlanStatusEnum": "interventions.models.Plan.Status",
        "AttendanceStatusEnum": "interventions.models.Attendance.Status",
        "MeetingStatusEnum": "interventions.models.Meeting.Status",
        "AgendaItemStatusEnum": "interventions.models.AgendaItem.Status",
        "NoticeStatusEnum": "notifications.models.NoticeStatus",
        "ImportRunStatusEnum": "students.models.ImportRun.Status",
        "ReviewItemStatusEnum": "screening.models.ReviewItem.Status",
    },
}

# --- Logging: no student data, ever; only ids and counts. ---------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request bodies never reach logs; 4xx lines carry the path only (ids, no names).
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

if TESTING:
    # Fast hashing in tests only; production keeps Django's PBKDF2 default.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
