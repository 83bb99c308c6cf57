"""``bnpl serve``: the app under gunicorn, configured in code rather than a file."""
from __future__ import annotations

import json
import os
import re
import shutil

from gunicorn import glogging, util
from gunicorn.app.base import BaseApplication

from bnpl import logs

# gunicorn's default access log line without its %(u)s, the HTTP Basic user: a client that
# sends its API key that way would have the key written to the log in clear.
ACCESS_LOG_FORMAT = '%(h)s %(l)s - %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'

# Addresses that carry a secret (a portal sign-in link, the local banks' references): the
# secret is cut from the access log, in the request line and in the Referer alike.
SECRET_IN_ADDRESS = re.compile(r"(/portal/sign-in/|/payments/local/|/risk/local/)[A-Za-z0-9_-]{16,}")


class AccessLogger(glogging.Logger):
    """gunicorn's logger, minus what a log reader must not learn: the HTTP Basic user (a key
    sent that way) and the secrets in addresses.

    Its atoms are gunicorn's own but for the headers and the WSGI environment: gunicorn offers
    each of those as an atom of its own ({name}i, {name}o, {name}e), some seventy on every
    request, each then escaped, which cost a bare request a twentieth of its CPU. Our line
    (ACCESS_LOG_FORMAT) uses none of them; the JSON line (logs.JsonFormatter) uses the
    response's X-Request-Id, which is kept."""

    def atoms(self, resp, req, environ, request_time):
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        seconds, microseconds = request_time.seconds, request_time.microseconds
        atoms = {
            "h": environ.get("REMOTE_ADDR", "-"), "l": "-", "u": "-", "t": self.now(),
            "r": f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}",
            "s": status, "m": environ.get("REQUEST_METHOD"), "U": environ.get("PATH_INFO"),
            "q": environ.get("QUERY_STRING"), "H": environ.get("SERVER_PROTOCOL"),
            "b": sent is not None and str(sent) or "-", "B": sent,
            "f": environ.get("HTTP_REFERER", "-"), "a": environ.get("HTTP_USER_AGENT", "-"),
            "T": seconds, "D": seconds * 1000000 + microseconds, "M": seconds * 1000 + int(microseconds / 1000),
            "L": "%d.%06d" % (seconds, microseconds), "p": "<%s>" % os.getpid(),
        }
        for name, value in resp.headers:
            if name.lower() == "x-request-id":
                atoms["{x-request-id}o"] = value
        for name in ("r", "U", "f"):
            if isinstance(atoms.get(name), str):
                atoms[name] = SECRET_IN_ADDRESS.sub(r"\1…", atoms[name])
        return atoms


# What gunicorn itself refuses, before the app sees the request, said as the app says it.
SERVER_REFUSALS = {
    400: "The request could not be read.",
    403: "This request is not allowed.",
    414: "The address is longer than this server accepts.",
    417: "The expectation in the request cannot be met.",
    431: "The request's headers are larger than this server accepts.",
    500: "Something went wrong on our side; nothing was changed.",
    501: "This server does not support the request's transfer coding.",
}


def write_problem(sock, status_int: int, reason: str, mesg: str) -> None:
    """In place of gunicorn.util.write_error (an HTML page): an RFC 9457 problem document.
    gunicorn's own message is not echoed: it quotes what the client sent."""
    body = json.dumps({"type": "about:blank", "title": reason, "status": status_int,
                       "detail": SERVER_REFUSALS.get(status_int, reason)}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin1") + body)


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from bnpl.app import create_app
        return create_app()


def run(*, host: str, port: int, workers: int | None, threads: int = 1) -> None:
    from bnpl.config import Settings

    settings = Settings.from_env()
    util.write_error = write_problem  # workers are forked from this process and keep it
    _share_metrics(settings)
    _Gunicorn({
        "bind": f"{host}:{port}",
        "workers": workers or settings.web_workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "logger_class": AccessLogger,
        "timeout": 30,
        # Each worker builds its own app (and connection pool) after the fork.
        "preload_app": False,
        "child_exit": _forget_worker_metrics,
        **logs.gunicorn_config(settings.log_format),
    }).run()


def _share_metrics(settings) -> None:
    """Workers count requests in files of one folder (prometheus_client's multiprocess mode),
    so a scrape answered by any worker shows them all. Emptied at start: old counts would be
    added to the new ones."""
    folder = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.instance_path / "metrics"))
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)


def _forget_worker_metrics(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
