"""Flask's signed-cookie session, read only from a request that carries one."""
from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    """As Flask's own, except that a request without a session cookie (every API call: a key
    authenticates those) gets its empty session without building the cookie's signing
    serializer first, which Flask does on every request, a tenth of a millisecond of CPU."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
