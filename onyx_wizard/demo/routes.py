"""Which function answers each path and method of the demo."""

from __future__ import annotations

from onyx_wizard.demo import api, oauth, pages, webhooks
from onyx_wizard.demo.http import Routes

ROUTES: Routes = {
    "/": {"GET": pages.home},
    "/.well-known/onyx-domain-verification.txt": {"GET": pages.well_known},
    "/login/onyx": {"GET": oauth.login},
    "/onyx/callback": {"GET": oauth.callback},
    "/api/v1/me": {"GET": api.me, "OPTIONS": api.preflight},
    "/onyx/events": {"POST": webhooks.events},
    "/privacy": {"GET": pages.privacy},
    "/oauth/authorize": {"GET": oauth.authorize},
}
