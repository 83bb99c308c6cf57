"""``bnpl serve``: the app under gunicorn, configured in code rather than a file."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication


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
    _Gunicorn({
        "bind": f"{host}:{port}",
        "workers": workers or settings.web_workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "accesslog": "-",
        "timeout": 30,
        # Each worker builds its own app (and connection pool) after the fork.
        "preload_app": False,
    }).run()
