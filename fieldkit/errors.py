"""The one error catalogue.

Every error a person can meet -- a form author running the linter, an enumerator at
the station, a station talking to the aggregator -- has a stable ``code`` here, an
English message template and a fix, both marked for translation. Code raises
``FieldkitError(code, **params)``; web layers turn it into the one JSON error shape
``{"error": {"code", "message", "fix", "details"}}`` or a page in the user's
language. Linter findings use the same codes (see ``fieldkit.forms.lint``).

Codes are ``area.reason`` in snake case. Add new codes to the section of your area.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fieldkit.i18n import N_, gettext


@dataclass(frozen=True)
class ErrorSpec:
    code: str
    message: str          # English template with {placeholders}
    fix: str = ""         # what to do about it, same placeholders
    status: int = 400     # HTTP status when it reaches a web API


CATALOGUE: dict[str, ErrorSpec] = {}


def _define(code: str, message: str, fix: str = "", status: int = 400) -> None:
    if code in CATALOGUE:
        raise RuntimeError(f"error code defined twice: {code}")
    CATALOGUE[code] = ErrorSpec(code, message, fix, status)


class _SafeDict(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(template: str, lang: str, params: dict[str, Any]) -> str:
    if not template:
        return ""
    return gettext(lang, template).format_map(_SafeDict(params))


class FieldkitError(Exception):
    """An error from the catalogue, with the parameters that fill its message."""

    def __init__(self, code: str, **params: Any) -> None:
        if code not in CATALOGUE:
            raise KeyError(f"unknown error code {code!r}: add it to fieldkit/errors.py")
        self.code = code
        self.params = params
        self.spec = CATALOGUE[code]
        super().__init__(self.message("en"))

    @property
    def status(self) -> int:
        return self.spec.status

    def message(self, lang: str = "en") -> str:
        return render(self.spec.message, lang, self.params)

    def fix(self, lang: str = "en") -> str:
        return render(self.spec.fix, lang, self.params)

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        details = {k: v for k, v in self.params.items()
                   if isinstance(v, (str, int, float, bool)) or v is None}
        return {"error": {"code": self.code, "message": self.message(lang),
                          "fix": self.fix(lang), "details": details}}


def error_json(code: str, lang: str = "en", **params: Any) -> dict[str, Any]:
    return FieldkitError(code, **params).to_json(lang)


# --- general ----------------------------------------------------------------------
_define("general.internal", N_("Something went wrong on our side."),
        N_("Nothing was lost. Try again; if it keeps happening, tell your supervisor."), 500)
_define("general.not_found", N_("There is nothing at this address."),
        N_("Go back to the start page."), 404)
_define("general.forbidden", N_("You are not allowed to see this page."),
        N_("Sign in with an account that has this role."), 403)
_define("general.unauthenticated", N_("Please sign in first."),
        N_("Sign in, then open the page again."), 401)
_define("general.bad_request", N_("The request could not be understood: {reason}"),
        N_("Check what was sent and try again."), 400)
_define("general.csrf", N_("This form has expired."),
        N_("Reload the page and try again."), 400)

# --- forms (loader, expressions, linter) -----------------------------------------

# --- crypto, storage, export ------------------------------------------------------

# --- privacy ----------------------------------------------------------------------

# --- station ----------------------------------------------------------------------

# --- sync and aggregator ----------------------------------------------------------
