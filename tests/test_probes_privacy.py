"""The privacy-notice probe against a real HTTPS server on loopback, and its wording rules.

Ways a broken deployment could pass: a redirect chain that leaves https or the partner's hosts;
Onyx named only in a script. Ways a correct one could fail the old probe: a trailing-slash
redirect; a notice in German (or French, Spanish, Italian, Portuguese, Dutch); a Latin-1 page;
XHTML; a notice rendered by JavaScript (now a warn for a person, not a fail).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from _loopback import HSTS, Answer, Loopback, serve

from onyx_wizard.probes import Outcome, ProbeResult, run_probes
from onyx_wizard.probes.privacy import decode, found_topics, mentions_onyx, partner_host
from onyx_wizard.profile import Profile

HTML = ("Content-Type", "text/html; charset=utf-8")

ENGLISH = """<!doctype html><html lang="en"><head><title>Privacy</title></head><body>
<h1>Privacy notice</h1><p>Acme lets you sign in with Onyx. We receive your Onyx account id and
display name. We keep delivery records for 30 days and delete your data when you disconnect.
We do not share it with third parties.</p></body></html>"""

GERMAN = """<!doctype html><html lang="de"><head><title>Datenschutzhinweise</title></head><body>
<h1>Datenschutzhinweise</h1><p>Acme Messenger nutzt die Anmeldung mit Onyx. Wir erhalten von
Onyx personenbezogene Daten: Ihre Kontokennung und Ihren Anzeigenamen.</p>
<h2>Speicherdauer</h2><p>Zustellungsprotokolle bewahren wir 30 Tage auf.</p>
<h2>Löschung</h2><p>Wenn Sie die Verbindung trennen, werden Ihre Daten binnen 30 Tagen gelöscht.</p>
<h2>Weitergabe</h2><p>Eine Weitergabe an Dritte findet nicht statt.</p></body></html>"""

NOTICES = {
    "fr": "Acme utilise Onyx. Nous recevons vos données et les conservons 30 jours; "
    "suppression sur demande; aucun partage avec des tiers.",
    "es": "Acme usa Onyx. Recibimos sus datos personales y los conservamos 30 días; "
    "supresión a petición; no los compartimos con terceros.",
    "it": "Acme usa Onyx. Riceviamo i suoi dati personali e li conserviamo 30 giorni; "
    "cancellazione su richiesta; nessuna condivisione con terze parti.",
    "pt": "A Acme usa a Onyx. Recebemos os seus dados pessoais e conservamos por 30 dias; "
    "exclusão a pedido; não compartilhamos com terceiros.",
    "nl": "Acme gebruikt Onyx. Wij ontvangen uw persoonsgegevens, de bewaartermijn is 30 "
    "dagen; verwijdering op verzoek; wij delen niets met derden.",
}


def run_privacy(server: Loopback, path: str = "/privacy") -> ProbeResult:
    profile = Profile(
        production_domain=f"localhost:{server.port}",
        privacy_notice_url=f"{server.base}{path}",
        ca_bundle=str(server.ca_path),
    )
    [result] = asyncio.run(run_probes(["privacy-notice"], profile, {}))
    return result


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Loopback]:
    with serve(tmp_path / "certs") as running:
        yield running


def page(body: str, content_type: str = "text/html; charset=utf-8") -> Answer:
    return Answer(200, [HSTS, ("Content-Type", content_type)], body.encode())


def test_an_english_notice_passes(server: Loopback) -> None:
    server.routes["/privacy"] = page(ENGLISH)
    result = run_privacy(server)
    assert (result.outcome, result.reason_code) == (Outcome.PASS, "PRIVACY_NOTICE_OK")


def test_a_german_notice_passes(server: Loopback) -> None:
    server.routes["/privacy"] = page(GERMAN)
    result = run_privacy(server)
    assert (result.outcome, result.reason_code) == (Outcome.PASS, "PRIVACY_NOTICE_OK")
    wording = next(e for e in result.evidence if e.get("check") == "privacy notice wording")
    assert {"data", "retention", "deletion", "sharing"} <= set(wording["topics"])
    assert wording["topics"]["deletion"] == ["de"]


@pytest.mark.parametrize("language", sorted(NOTICES))
def test_notices_in_other_languages_touch_several_topics(language: str) -> None:
    text = NOTICES[language]
    found = found_topics(text)
    assert mentions_onyx(text)
    assert len(found) >= 3, found
    assert all(language in languages for languages in found.values()), found


def test_english_words_alone_do_not_make_a_german_topic() -> None:
    assert "de" not in found_topics("We delete data.").get("deletion", [])


def test_a_trailing_slash_redirect_is_followed(server: Loopback) -> None:
    server.routes["/privacy"] = Answer(308, [HSTS, ("Location", "/privacy/")])
    server.routes["/privacy/"] = page(ENGLISH)
    result = run_privacy(server)
    assert result.outcome is Outcome.PASS, result.message
    assert [r.path for r in server.seen] == ["/privacy", "/privacy/"]


def test_three_same_host_hops_are_followed_and_a_fourth_is_not(server: Loopback) -> None:
    for n in range(3):
        server.routes[f"/p{n}"] = Answer(301 + n, [("Location", f"{server.base}/p{n + 1}")])
    server.routes["/p3"] = page(ENGLISH)
    assert run_privacy(server, "/p0").outcome is Outcome.PASS
    server.routes["/p3"] = Answer(307, [("Location", "/p4")])
    server.routes["/p4"] = page(ENGLISH)
    result = run_privacy(server, "/p0")
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "PRIVACY_NOTICE_UNAVAILABLE")
    assert "/p4" not in [r.path for r in server.seen]


def test_a_plain_http_hop_fails(server: Loopback) -> None:
    server.routes["/privacy"] = Answer(301, [("Location", f"http://localhost:{server.port}/p")])
    result = run_privacy(server)
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "PRIVACY_NOT_HTTPS")


def test_a_hop_to_a_foreign_host_fails_without_going_there(server: Loopback) -> None:
    server.routes["/privacy"] = Answer(302, [("Location", "https://legal.example.net/acme")])
    result = run_privacy(server)
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "PRIVACY_FOREIGN_REDIRECT")
    assert [r.path for r in server.seen] == ["/privacy"]


def test_partner_hosts_are_the_same_host_or_the_production_domain() -> None:
    current = "https://app.acme.example/privacy"
    assert partner_host("https://app.acme.example:8443/p", current, "acme.example")
    assert partner_host("https://www.acme.example/privacy", current, "acme.example")
    assert partner_host("https://acme.example/privacy", current, "acme.example")
    assert not partner_host("https://acme.example.evil.example/", current, "acme.example")
    assert not partner_host("https://evilacme.example/", current, "acme.example")
    assert not partner_host("https://legal.example.net/", current, "acme.example")


def test_a_notice_rendered_by_javascript_warns(server: Loopback) -> None:
    shell = (
        "<!doctype html><html><head><title>Acme</title><script src='/app.js'></script></head>"
        "<body><div id='root'></div><noscript>Enable JavaScript to run this app.</noscript>"
        "</body></html>"
    )
    server.routes["/privacy"] = page(shell)
    result = run_privacy(server)
    assert (result.outcome, result.reason_code) == (Outcome.WARN, "PRIVACY_NEEDS_JAVASCRIPT")


def test_no_data_handling_words_warns_for_a_person(server: Loopback) -> None:
    server.routes["/privacy"] = page("<p>Acme works with Onyx. Questions? Write to us.</p>")
    result = run_privacy(server)
    assert (result.outcome, result.reason_code) == (Outcome.WARN, "PRIVACY_DATA_HANDLING_UNCLEAR")


def test_onyx_named_only_in_a_script_is_not_named(server: Loopback) -> None:
    body = ENGLISH.replace("Onyx", "our partner") + "<script>var partner = 'Onyx';</script>"
    server.routes["/privacy"] = page(body)
    result = run_privacy(server)
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "PRIVACY_NOTICE_INCOMPLETE")


def test_latin_1_and_xhtml_notices_are_read(server: Loopback) -> None:
    server.routes["/privacy"] = Answer(
        200, [("Content-Type", "text/html; charset=ISO-8859-1")], GERMAN.encode("latin-1")
    )
    assert run_privacy(server).outcome is Outcome.PASS
    meta = GERMAN.replace("<head>", "<head><meta charset='windows-1252'>")
    server.routes["/privacy"] = Answer(200, [("Content-Type", "text/html")], meta.encode("cp1252"))
    assert run_privacy(server).outcome is Outcome.PASS
    server.routes["/privacy"] = page(ENGLISH, "application/xhtml+xml")
    assert run_privacy(server).outcome is Outcome.PASS


def test_decoding_falls_back_like_a_browser() -> None:
    assert decode("Löschung".encode(), "text/html") == "Löschung"
    assert decode("Löschung".encode("latin-1"), "text/html") == "Löschung"
    assert decode(b"caf\xe9", "text/plain; charset=nonsense") == "café"


def test_a_notice_served_as_something_else_fails(server: Loopback) -> None:
    server.routes["/privacy"] = page("%PDF-1.7", "application/pdf")
    result = run_privacy(server)
    assert (result.outcome, result.reason_code) == (Outcome.FAIL, "PRIVACY_NOT_TEXT")
