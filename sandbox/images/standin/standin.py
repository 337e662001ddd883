"""Stand-in application services for the sandbox fleet.

The production fleet runs the project's own images (backend, prediction-service,
data-collector, frontend) and Jenkins. None can be pulled here, so the sandbox runs this one
small program in their place. It honours the same interface the real services have in the
Compose files: configuration from environment variables, an HTTP port, a health endpoint, and
application logs under /LOG/<service>. The data path is real: the collector writes ticks to
PostgreSQL and Redis, the backend reads both back, so a request through nginx proves the whole
chain works.
"""
import datetime
import json
import logging
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("STANDIN_ROLE", "backend")
PORT = int(os.environ.get("PORT", "8080"))
LOG_DIR = os.environ.get("LOG_DIR", "/LOG/%s" % ROLE)

os.makedirs(LOG_DIR, exist_ok=True)
logging.basicConfig(
    level=logging.INFO,
    format="%(asctime)s " + ROLE + " %(levelname)s %(message)s",
    handlers=[logging.FileHandler(os.path.join(LOG_DIR, ROLE + ".log")), logging.StreamHandler()],
)
log = logging.getLogger(ROLE)


def pg():
    import psycopg2  # Debian python3-psycopg2

    return psycopg2.connect(
        host=os.environ.get("POSTGRES_HOST", "timescaledb"),
        port=int(os.environ.get("POSTGRES_PORT", "5432")),
        dbname=os.environ.get("POSTGRES_DB", "investment"),
        user=os.environ.get("POSTGRES_USER", "investment"),
        password=os.environ["POSTGRES_PASSWORD"],
        connect_timeout=5,
    )


def rds():
    import redis  # Debian python3-redis

    return redis.Redis(
        host=os.environ.get("REDIS_HOST", "redis"),
        port=int(os.environ.get("REDIS_PORT", "6379")),
        password=os.environ.get("REDIS_PASSWORD") or None,
        socket_timeout=5,
        decode_responses=True,
    )


SCHEMA = """CREATE TABLE IF NOT EXISTS ticks (
  id bigserial PRIMARY KEY, symbol text NOT NULL, price numeric NOT NULL,
  collected_at timestamptz NOT NULL DEFAULT now())"""


def collect_forever():
    interval = float(os.environ.get("COLLECT_INTERVAL", "5"))
    n = 0
    while True:
        try:
            conn = pg()
            with conn, conn.cursor() as cur:
                cur.execute(SCHEMA)
                price = 100 + (n % 17)
                cur.execute(
                    "INSERT INTO ticks (symbol, price) VALUES (%s, %s) RETURNING id, collected_at",
                    ("KOSPI", price),
                )
                row_id, at = cur.fetchone()
            conn.close()
            rds().set("last_tick", json.dumps({"id": row_id, "price": price, "at": at.isoformat()}))
            log.info("collected tick id=%s price=%s", row_id, price)
            n += 1
        except Exception as exc:  # keep collecting; the health endpoint reports the failure
            log.warning("collect failed: %s", exc)
        time.sleep(interval)


def check_data():
    conn = pg()
    with conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
    conn.close()
    rds().ping()


def api_quotes():
    conn = pg()
    with conn, conn.cursor() as cur:
        cur.execute(SCHEMA)
        cur.execute("SELECT count(*), max(id) FROM ticks")
        rows, last_id = cur.fetchone()
    conn.close()
    r = rds()
    hits = r.incr("api_hits")
    last = r.get("last_tick")
    return {
        "service": "backend",
        "rows": rows,
        "last_id": last_id,
        "redis_last_tick": json.loads(last) if last else None,
        "hits": hits,
    }


def predict():
    conn = pg()
    with conn, conn.cursor() as cur:
        cur.execute(SCHEMA)
        cur.execute("SELECT avg(price) FROM (SELECT price FROM ticks ORDER BY id DESC LIMIT 10) t")
        (avg,) = cur.fetchone()
    conn.close()
    return {"service": "prediction-service", "next_price": float(avg) if avg is not None else None}


FRONTEND = """<!doctype html><html><head><title>investment</title></head>
<body><h1>investment frontend (sandbox stand-in)</h1>
<p>API: <a href="/api/quotes">/api/quotes</a> (served by api.)</p></body></html>"""


class Handler(BaseHTTPRequestHandler):
    def _send(self, code, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else (
            json.dumps(body) if ctype == "application/json" else body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        log.info("%s %s", self.address_string(), fmt % args)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        try:
            if path in ("/healthz", "/health"):
                if ROLE in ("backend", "prediction", "collector"):
                    check_data()
                return self._send(200, {"status": "ok", "service": ROLE})
            if ROLE == "backend" and path in ("/api/quotes", "/quotes"):
                return self._send(200, api_quotes())
            if ROLE == "prediction" and path in ("/predict", "/api/predict"):
                return self._send(200, predict())
            if ROLE == "frontend" and path in ("/", "/index.html"):
                return self._send(200, FRONTEND, "text/html")
            if ROLE == "jenkins" and path in ("/", "/login"):
                return self._send(200, {"service": "jenkins", "mode": "stand-in",
                                        "at": datetime.datetime.now().isoformat()})
            return self._send(404, {"error": "not found", "path": path})
        except Exception as exc:
            log.error("%s failed: %s", path, exc)
            return self._send(503, {"error": str(exc.__class__.__name__)})


def main():
    if ROLE == "collector":
        threading.Thread(target=collect_forever, daemon=True).start()
    log.info("listening on :%d", PORT)
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()


if __name__ == "__main__":
    main()
