"""The demo's plain pages: home, the privacy notice and the domain verification file."""

from __future__ import annotations

from onyx_wizard.demo.http import Exchange, page

_PRIVACY = """<h1>Acme Messenger privacy notice</h1>
<p>Acme Messenger lets you sign in with {provider} and send messages through {provider}.
This notice explains how we handle the partner data we receive from {provider}.</p>
<h2>What data we receive</h2>
<p>Your {provider} account identifier, your display name, and the delivery status of the
messages you send. We use this personal data only to run the service you asked for.</p>
<h2>Retention</h2>
<p>We keep message delivery records for 30 days and account data while your account is
active.</p>
<h2>Deletion</h2>
<p>When you disconnect {provider} or close your account we delete your data within 30 days.
You can ask us to delete it at any time: privacy@acme.example.</p>
<h2>Sharing</h2>
<p>We do not sell your data and we do not share it with third parties, except the processors
that host the service under contract.</p>
"""


def home(ex: Exchange) -> None:
    body = (
        "<h1>Acme Messenger (demo)</h1>\n"
        "<p><a href='/login/onyx'>Sign in with Onyx</a> · <a href='/privacy'>Privacy</a></p>"
    )
    ex.reply(200, page("Acme Messenger (demo)", body))


def privacy(ex: Exchange) -> None:
    state = ex.state
    if state.has_fault("privacy-missing"):
        ex.reply(404, page("Not found", "<p>Not found.</p>"))
        return
    provider = "our messaging partner" if state.has_fault("privacy-no-onyx") else "Onyx"
    ex.reply(200, page("Acme Messenger privacy notice", _PRIVACY.format(provider=provider)))


def well_known(ex: Exchange) -> None:
    """The domain verification file."""
    if ex.state.has_fault("domain-token-missing"):
        ex.reply(404, b"Not found", "text/plain; charset=utf-8")
        return
    ex.reply(200, ex.state.verification_token.encode(), "text/plain; charset=utf-8")
