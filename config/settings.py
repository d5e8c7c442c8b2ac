"""The one settings module. Every value that differs between runs comes from the environment.

Embedded default (nothing set): SQLite, in-memory channel layer, eager Celery, console SMS.
Production / CI: set DATABASE_URL (PostgreSQL) and REDIS_URL (channel layer, broker, cache).
"""
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core.env import env, env_bool, env_file, env_int, env_list
from core.logging import build_logging_config
from core.redis_options import channel_layer_host

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
# A deployment behind TLS (or with secure cookies) is production: it must bring its own strong key.
# The embedded profile and the test runs keep working without one.
REQUIRE_SECRET_KEY = env_bool(
    "REQUIRE_SECRET_KEY", default=env_bool("BEHIND_TLS_PROXY", False) or env_bool("SECURE_COOKIES", False))
_WEAK_KEY = len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure")
if REQUIRE_SECRET_KEY and _WEAK_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production: at least 50 random characters "
                               "(python -c 'import secrets; print(secrets.token_urlsafe(50))')")
if not SECRET_KEY:
    SECRET_KEY = "embedded-profile-not-secret-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "django_prometheus",
    "core",
    "accounts",
    "stations",
    "bookings",
    "calls",
    "reviews",
    "signing",
    "frontend",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.compression.TextGZipMiddleware",  # pages, JSON and static text; BREACH: see config/compression.py
    "config.compression.DirectoryCacheMiddleware",  # catalog and organisation directory: Cache-Control + ETag
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.edge.QueryInputMiddleware",  # NUL and broken text in paths and query strings: one JSON 400
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.accel.XAccelRedirectMiddleware",
    "config.degraded.DependencyUnavailableMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent bookings
    # serialise instead of failing with "database is locked" half-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Under Daphne every concurrent request runs in its own thread with its own connection: without a pool, a
    # burst opens one connection per request until PostgreSQL refuses ("too many clients"), and the threads'
    # connections outlive the burst. So psycopg's pool is on by default: at most DB_POOL_MAX_SIZE connections
    # per process, a request waits up to DB_POOL_TIMEOUT seconds for one and then answers 503
    # (config/degraded.py). Size it so that every process's pool together stays well under the server's
    # max_connections (100 by default: 2 Daphne + worker + beat at 10 each leave room for admin and
    # migrations). DB_POOL_MAX_SIZE=0 turns the pool off, e.g. behind PgBouncer in transaction mode.
    DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", default=10, minimum=0)
    if DB_POOL_MAX_SIZE:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, DB_POOL_MAX_SIZE), "max_size": DB_POOL_MAX_SIZE,
            "timeout": env_int("DB_POOL_TIMEOUT", default=10, minimum=1)}
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections; each request returns its own
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parameters bound on the server, and a statement prepared once it ran `DB_PREPARE_THRESHOLD` times on a
    # connection (the pool keeps connections): PostgreSQL then parses and plans the hot statements once per
    # connection, and psycopg sends values instead of spelling them into the SQL text. Measured with
    # bench/bookings.py: a booking's CPU fell by a fifth in the server, by two fifths in PostgreSQL. Behind
    # PgBouncer in transaction mode older than 1.21 or without `max_prepared_statements`: DB_PREPARE_THRESHOLD=0.
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options.setdefault("server_side_binding", env_bool("DB_SERVER_SIDE_BINDING", default=True))
    _db_options.setdefault("prepare_threshold", env_int("DB_PREPARE_THRESHOLD", default=5, minimum=0) or None)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A streaming replica (through its own PgBouncer) for reads that may lag the primary by a moment:
# the directory of units and divisions and the bureau's statistics. core.db.replica() names the alias;
# everything that reads what it has just written stays on "default". See README, "Scale-out".
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
READ_REPLICA_ALIAS = "default"
if DATABASE_REPLICA_URL:
    _primary = DATABASES["default"]
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        **{key: _primary[key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS") if key in _primary},
        "TEST": {"MIRROR": "default"},
    }
    _replica_options = dict(_primary.get("OPTIONS", {}))
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        # Belt and braces: a write sent here by mistake fails at once, even before a real replica is there.
        _replica_options["options"] = "-c default_transaction_read_only=on"
    DATABASES["replica"]["OPTIONS"] = _replica_options
    READ_REPLICA_ALIAS = "replica"

# --- Redis: channel layer, Celery broker, cache ----------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # channels-redis' pub/sub layer: at-most-once delivery, so room state lives in the database, not in messages
    # (docs/signaling.md). The host carries documented redis-py options so relaying resumes after a restart.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {
        "hosts": [channel_layer_host(REDIS_URL)], "prefix": env.str("CHANNEL_PREFIX", default="vc")}}}
    _cache_prefix = env.str("CACHE_PREFIX", default="vc")
    CACHES = {
        # Recomputable values only (slot answers, versions, checklists): django-redis's documented
        # IGNORE_EXCEPTIONS turns a Redis outage into misses and skipped writes, so booking keeps working.
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _cache_prefix,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        },
        # Rate-limit counters: an outage must refuse (503), not silently stop limiting.
        "throttle": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _cache_prefix + "-throttle",
        },
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True  # an ignored outage is still logged (logger "django_redis")
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"},
    }

# --- Celery ----------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
# A task whose worker died unacknowledged is redelivered after this many seconds (no long ETAs are used:
# deadlines live in the database and beat sweeps them, so this can stay short).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", default=3600, minimum=5)}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "reviews.tasks.route_case": {"queue": "routing"},
    "*.tasks.send_*": {"queue": "notifications"},
    "*.tasks.notify_*": {"queue": "notifications"},
    "reviews.tasks.sla_*": {"queue": "sla"},
}
CELERY_BEAT_SCHEDULE: dict = {}  # each app adds its own periodic tasks in config/celery.py

# --- Auth ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", default=15, minimum=1))
# Lock by account: many agents of one station share a NAT'd address, and locking the
# address would lock out the whole station after one person's typos.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
LOGIN_URL = "/login/"

# One-time codes: see accounts/services.py
OTP_TTL_SECONDS = env_int("OTP_TTL_SECONDS", default=300, minimum=30)
OTP_MAX_ATTEMPTS = 5
SMS_BACKEND = env.str("SMS_BACKEND", default="accounts.sms.ConsoleSmsBackend")
# Keyed hash for ID numbers in signed records and logs (never the raw number).
ID_HASH_KEY = env.str("ID_HASH_KEY", default=SECRET_KEY)

# --- API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    # Ours check every parsed value once for the whole API (core/edge.py).
    "DEFAULT_PARSER_CLASSES": ["core.edge.JSONParser", "core.edge.FormParser", "core.edge.MultiPartParser"],
    "DEFAULT_THROTTLE_RATES": {
        "otp_phone": env.str("THROTTLE_OTP_PHONE", default="3/10min"),
        "otp_ip": env.str("THROTTLE_OTP_IP", default="20/hour"),
        "otp_verify_ip": env.str("THROTTLE_OTP_VERIFY_IP", default="60/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Tests speak as our pages do: JSON (the login endpoints take nothing else).
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "医保视频办 API · Medical-insurance video service API",
    "DESCRIPTION": "Bookings, calls, cases and sealed decisions. Errors are JSON {code, detail}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set shared by several serializers (keeps `check --deploy` free of W001).
    "ENUM_NAME_OVERRIDES": {
        "BookingStatusEnum": "bookings.models.BookingStatus", "CaseStatusEnum": "reviews.models.CaseStatus",
        "CallStatusEnum": "calls.models.Call.Status", "CallInvitationStatusEnum": "calls.models.CallInvitation.Status",
        "CallKindEnum": "calls.models.Call.Kind", "CallEventKindEnum": "calls.models.CallEvent.Kind",
    },
}

# --- Language and time -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = None  # uploaded materials are never served by a public URL
STORAGES = {
    "default": {"BACKEND": env.str("DEFAULT_STORAGE", default="django.core.files.storage.FileSystemStorage")},
    # Hashed names, cached by browsers for good (config/static_storage.py). Every profile that serves pages runs
    # collectstatic first (make run, prod_local, the image, the browser tests' live site); under DEBUG Django itself
    # hands out the plain names. The test suite uses the plain storage (tests/conftest.py), as Django advises.
    "staticfiles": {"BACKEND": "config.static_storage.HashedModulesStaticFilesStorage"},
    # Signed ledger checkpoints, kept where whoever writes the database cannot remove them (signing/checkpoint_store.py)
    "signing_checkpoints": {
        "BACKEND": env.str("CHECKPOINT_STORAGE", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": {"location": env.str("CHECKPOINT_STORAGE_LOCATION", default=str(VAR_DIR / "checkpoints"))},
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Security --------------------------------------------------------------------------
# Django's database sessions: no cache between, so a logout is final even while Redis is away.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
# Which address the per-address throttles count. X-Forwarded-For is whatever the client wrote unless our own
# proxy set it: trust only the last NUM_PROXIES hops (nginx overwrites it with $remote_addr), none without a proxy.
REST_FRAMEWORK["NUM_PROXIES"] = env_int("NUM_PROXIES", default=1 if env_bool("BEHIND_TLS_PROXY", False) else 0)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Protected media: with nginx in front, material downloads leave as X-Accel-Redirect to this internal
# location (deploy/nginx.conf `location /protected-media/ { internal; }`); empty = Django streams the file.
MEDIA_ACCEL_REDIRECT_PREFIX = env.str("MEDIA_ACCEL_REDIRECT_PREFIX", default="")

# Pages load only what we serve ourselves: no CDN, no inline script. The API docs and the
# admin ship inline scripts of their own and are excluded.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/", "/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Logging: structured, without personal data -----------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
LOGGING = build_logging_config(level=env.str("LOG_LEVEL", default="INFO"), log_format=LOG_FORMAT)

# --- Signing: electronic seals, sealed letters, verification -------------------------------
# Private keys at rest are encrypted with this passphrase (embedded profile: derived from SECRET_KEY).
SIGNING_KEY_PASSPHRASE = env.str("SIGNING_KEY_PASSPHRASE", default="") or __import__("hashlib").sha256(
    ("signing-key-passphrase|" + SECRET_KEY).encode("utf-8")).hexdigest()
SIGNING_BUREAU_NAME = env.str("SIGNING_BUREAU_NAME", default="菏泽市医疗保障局")
# The address people reach the service at: QR codes on letters and links in messages point here. Production must
# say it (a letter's QR code that points at a developer's machine cannot be taken back once sealed).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
if not PUBLIC_BASE_URL and REQUIRE_SECRET_KEY:
    raise ImproperlyConfigured("PUBLIC_BASE_URL must be set in production (e.g. https://yibao.example.gov.cn)")
PUBLIC_BASE_URL = PUBLIC_BASE_URL or "http://127.0.0.1:8000"
if not PUBLIC_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"PUBLIC_BASE_URL must start with http:// or https://, got {PUBLIC_BASE_URL!r}")
# A TrueType font (or a collection and its index) for letters and seal pictures instead of signing/fonts/.
CJK_FONT = env_file("CJK_FONT")
CJK_FONT_INDEX = env_int("CJK_FONT_INDEX", default=0)
SIGNING_PKCS11_MODULE = env.str("SIGNING_PKCS11_MODULE", default="/usr/lib/softhsm/libsofthsm2.so")
SIGNING_PKCS11_PIN = env.str("SIGNING_PKCS11_PIN", default="")
SIGNING_SEAL_VALIDITY_DAYS = env_int("SIGNING_SEAL_VALIDITY_DAYS", default=730)
SIGNING_CONFIRMATION_MINUTES = env_int("SIGNING_CONFIRMATION_MINUTES", default=5)
# The RFC 3161 time-stamping authority every sealing asks (docs/signing.md): production names the bureau's or the
# national TSA and its root certificates (a PEM file); empty: the project's own TSA, served at POST /tsa/.
SIGNING_TSA_URL = env.str("SIGNING_TSA_URL", default="")
SIGNING_TSA_TIMEOUT = env_int("SIGNING_TSA_TIMEOUT", default=10)
SIGNING_TSA_ROOTS = env_file("SIGNING_TSA_ROOTS")
SIGNING_TSA_SERVE = env_bool("SIGNING_TSA_SERVE", default=True)

# --- Reviews (reviews/) -----------------------------------------------------------------
# Decisions are sealed by signing/; only a run without a signing module may set this false.
SEALING_REQUIRED = env_bool("SEALING_REQUIRED", default=True)
# Working days an escalated case gets at its new holder before the next escalation.
REVIEWS_ESCALATION_DAYS = env_int("REVIEWS_ESCALATION_DAYS", default=1, minimum=1)
# Share of the time limit after which the reviewer is warned.
REVIEWS_WARN_PERCENT = env_int("REVIEWS_WARN_PERCENT", default=80, minimum=1)

# --- Calls: ICE servers for WebRTC; none by default, so tests never contact an outside STUN/TURN host
STUN_URLS = env_list("STUN_URLS", default=[])
# e.g. "turn:turn.example.org:3478?transport=udp,turns:turn.example.org:443?transport=tcp"
TURN_URLS = env_list("TURN_URLS", default=[])
TURN_SECRET = env.str("TURN_SECRET", default="")  # coturn static-auth-secret (use-auth-secret)
TURN_CREDENTIAL_TTL = env_int("TURN_CREDENTIAL_TTL", default=3600, minimum=60)
if TURN_URLS and not TURN_SECRET:
    raise ImproperlyConfigured("TURN_URLS is set but TURN_SECRET is empty")
# Per-socket signaling budget (token bucket): messages a second and the burst saved up.
CALL_MESSAGE_RATE = env_int("CALL_MESSAGE_RATE", default=20, minimum=1)
CALL_MESSAGE_BURST = env_int("CALL_MESSAGE_BURST", default=40, minimum=1)
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["signing_verify"] = env.str("THROTTLE_SIGNING_VERIFY", default="120/min")
