"""The language of the page being drawn, for the portal and the back office alike: chosen per
request (``?lang=``, then kept in a cookie), texts translated into it, form labels that wait for
it (they are made before any request), and WTForms' own messages in it.

Each area says which languages it speaks and what its default is; ``choose`` puts the answer
in ``flask.g.language`` for the rest of the request.
"""
from __future__ import annotations

import re
from functools import cached_property, lru_cache
from urllib.parse import urlencode

from flask import g, has_request_context, request
from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms.i18n import get_translations

from bnpl import i18n

LANGUAGE_DAYS = 365  # how long a chosen language is kept


def language() -> str:
    """The language of this request's page (English outside a request)."""
    return g.get("language", "en") if has_request_context() else "en"


def gettext(message: str) -> str:
    return i18n.translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.translations(language()).ngettext(singular, plural, n)


class LazyText:
    """A text translated when it is shown, into the language of the request showing it."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message

    def __str__(self) -> str:
        return gettext(self.message)

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __mod__(self, values) -> str:
        return str(self) % values

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.message)

    def __len__(self) -> int:
        return len(str(self))

    def __repr__(self) -> str:
        return f"LazyText({self.message!r})"


def lazy(message: str) -> LazyText:
    return LazyText(message)


@lru_cache(maxsize=None)
def _wtforms_translations(language_: str):
    return get_translations([language_])


class TranslatedForm(FlaskForm):
    """A form whose WTForms messages ("Not a valid date value.") are in the page's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _wtforms_translations(language())


def install(app) -> None:
    """gettext in every template, in the language of the request."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=True)


def choose(*, languages: tuple[str, ...], cookie: str, default: str, browser: bool = False) -> None:
    """This request's language: asked for in the address (and then kept), else the one kept in
    the cookie, else (when ``browser``) the best match for the browser's, else the default."""
    asked = request.args.get("lang")
    if asked in languages:
        g.language = g.keep_language = asked
        return
    kept = request.cookies.get(cookie)
    g.language = kept if kept in languages else (
        (request.accept_languages.best_match(languages) if browser else None) or default)


def keep(response, *, cookie: str, path: str, secure: bool):
    """Remember a language asked for in the address, for the area under ``path``."""
    if g.get("keep_language"):
        response.set_cookie(cookie, g.keep_language, max_age=LANGUAGE_DAYS * 86400, path=path, secure=secure,
                            httponly=True, samesite="Lax")
    return response


def links(names: dict[str, str], *, fallback: str) -> list[tuple[str, str, str]]:
    """(code, name, address of this page in that language); a page that is not a GET (a form's
    answer) links to ``fallback`` instead."""
    rule = request.url_rule
    path = request.path if rule is not None and "GET" in (rule.methods or ()) else fallback
    args = {key: value for key, value in request.args.items() if key != "lang"} if request.method == "GET" else {}
    return [(code, name, f"{path}?{urlencode({**args, 'lang': code})}") for code, name in names.items()]


class Refusals:
    """A service's refusals in the page's language. A service says why it refused in English (an
    API caller reads it as it is); a page shows the same sentence translated. A sentence made
    with ``i18n.said`` carries its template and parts (the template is in the catalogues:
    scripts/translations.py extracts it). Any other sentence (a library's, an older service's)
    is matched against the templates marked for translation where they are listed, whose
    ``%(name)s`` stand for the parts that vary. Either way the translated template is filled with
    the parts, each as ``shown(name, value)`` gives it. A sentence without a template is shown
    as the service wrote it."""

    def __init__(self, templates: tuple[str, ...], *, shown=None):
        self.templates = templates
        self.shown = shown or (lambda name, value: value)

    @cached_property
    def _patterns(self) -> tuple[tuple[re.Pattern, str], ...]:
        patterns = []
        for template in self.templates:
            parts = re.split(r"%\((\w+)\)s", template)
            regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
            patterns.append((re.compile(f"^{regex}$", re.S), template))
        return tuple(patterns)

    def __call__(self, detail) -> str:
        if isinstance(detail, i18n.Said):  # the service kept its template and parts: no matching
            parts = {name: self(value) if isinstance(value, i18n.Said) else str(value)  # a part may be said too
                     for name, value in detail.params.items()}
            return self._translated(detail.template, parts, detail)
        detail = str(detail)
        for pattern, template in self._patterns:
            match = pattern.match(detail)
            if match:
                return self._translated(template, match.groupdict(), detail)
        return detail

    def _translated(self, template: str, parts: dict[str, str], detail) -> str:
        values = {name: self.shown(name, value.strip("'\"")) for name, value in parts.items()}
        try:
            return gettext(template) % values
        except (KeyError, ValueError, TypeError):
            return str(detail)
