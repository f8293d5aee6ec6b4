"""Decide which services `make test` uses and print shell exports for them.

PostgreSQL (DATABASE_URL), its streaming replica (REPLICA_DATABASE_URL) and Redis
(REDIS_URL) are used when reachable. Otherwise
the suite falls back to SQLite / in-process jobs and says so; with
REQUIRE_SERVICES=1 a missing service is an error instead (CI sets it).
"""

import os
import shutil
import socket
import sys
from urllib.parse import urlparse


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    required = os.environ.get("REQUIRE_SERVICES") == "1"
    missing = []
    exports = []
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url and reachable(database_url, 5432):
        print("tests: PostgreSQL at " + urlparse(database_url).netloc, file=sys.stderr)
    else:
        missing.append(
            "PostgreSQL (set DATABASE_URL)" if not database_url else f"PostgreSQL at {database_url} is not reachable"
        )
        exports.append("unset DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url and reachable(redis_url, 6379):
        print("tests: Redis at " + urlparse(redis_url).netloc, file=sys.stderr)
    else:
        missing.append("Redis (set REDIS_URL)" if not redis_url else f"Redis at {redis_url} is not reachable")
        exports.append("unset REDIS_URL CELERY_BROKER_URL")
    replica_url = os.environ.get("REPLICA_DATABASE_URL", "")
    if replica_url and reachable(replica_url, 5432):
        print("tests: PostgreSQL replica at " + urlparse(replica_url).netloc, file=sys.stderr)
    else:
        missing.append(
            "the streaming replica (set REPLICA_DATABASE_URL; scripts/services.sh starts one)"
            if not replica_url
            else f"the replica at {replica_url} is not reachable"
        )
        exports.append("unset REPLICA_DATABASE_URL")
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not shutil.which(chromium):
        missing.append(f"Chromium ({chromium}; apt-get install chromium) for the browser tests")
    if missing and required:
        print("REQUIRE_SERVICES=1 but missing: " + "; ".join(missing), file=sys.stderr)
        return 1
    for item in missing:
        print(f"tests: FALLBACK, no {item}: the tests that need it are deselected, not run.", file=sys.stderr)
    print("\n".join(exports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
