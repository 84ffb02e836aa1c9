"""Privacy notice: served over https as text, naming Onyx and how partner data is handled.

Redirects are followed as a browser would, up to three hops on the partner's own hosts; a
plain-http hop or a hop to someone else's host fails. The wording is judged on keywords in
several languages (`privacy-keywords.toml`), so a person still reads the notice: a page that
names Onyx and two data-handling topics passes, whatever it actually promises.
"""

from __future__ import annotations

import asyncio
import codecs
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

from onyx_wizard.probes._browser import resolve_location
from onyx_wizard.probes._context import ProbeContext, Response, domain_host
from onyx_wizard.probes._data import privacy_keywords
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe

PROBE_ID = "privacy-notice"
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# A notice must touch at least two topics (what data, how long, deletion, sharing, processing).
MIN_TOPICS = 2
# Under this many words of body text, a page with scripts is taken as rendered by JavaScript.
MIN_WORDS = 20
_ONYX = re.compile(r"\bonyx\b", re.IGNORECASE)
_TEXT_TYPES = ("text/html", "text/plain", "application/xhtml+xml")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template"})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


@dataclass(frozen=True)
class PageText:
    """What a reader sees of a page: its title, its body text, and whether it has scripts."""

    title: str
    body: str
    scripts: int

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.body}"

    @property
    def words(self) -> int:
        return len(self.body.split())


class _TextExtractor(HTMLParser):
    """Collects the readable text of an HTML page, leaving out scripts, styles and templates."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.scripts = 0
        self._hidden = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
            self.scripts += tag == "script"
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS and self._hidden:
            self._hidden -= 1
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        (self.title if self._in_title else self.parts).append(data)


def page_text(body: str, content_type: str) -> PageText:
    """The text of a page: tags stripped for HTML, the body as-is for plain text."""
    if not content_type.startswith(_HTML_TYPES):
        return PageText("", body, 0)
    extractor = _TextExtractor()
    extractor.feed(body)
    extractor.close()
    return PageText(" ".join(extractor.title), " ".join(extractor.parts), extractor.scripts)


def visible_text(body: str, content_type: str) -> str:
    """The text a reader sees: the title and body text of HTML, or the plain text."""
    return page_text(body, content_type).text.strip()


def decode(body: bytes, content_type_header: str) -> str:
    """The body as text: the header's charset, else a `<meta charset>`, else UTF-8 (or
    Windows-1252 when the bytes are not UTF-8, as browsers fall back)."""
    for label in (_charset(content_type_header), _meta_charset(body)):
        if label:
            try:
                return body.decode(codecs.lookup(label).name, errors="replace")
            except LookupError:
                continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def _charset(content_type_header: str) -> str:
    for param in content_type_header.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"')
    return ""


def _meta_charset(body: bytes) -> str:
    found = _META_CHARSET.search(body[:4096])
    return found.group(1).decode("ascii") if found else ""


@dataclass(frozen=True)
class Topic:
    """One data-handling topic in one language, as a compiled pattern."""

    language: str
    name: str
    pattern: re.Pattern[str]


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


@cache
def topics() -> tuple[Topic, ...]:
    """Every language's topics from `privacy-keywords.toml`, compiled."""
    out = []
    for language, table in privacy_keywords().items():
        start = "" if table.get("compound", False) else r"(?<!\w)"
        for name, stems in table.items():
            if name == "compound":
                continue
            alternatives = "|".join(re.escape(_normal(stem)) for stem in stems)
            out.append(Topic(language, name, re.compile(f"{start}(?:{alternatives})")))
    return tuple(out)


def found_topics(text: str) -> dict[str, list[str]]:
    """The data-handling topics `text` touches, each with the languages it was found in."""
    normal = _normal(text)
    found: dict[str, list[str]] = {}
    for topic in topics():
        if topic.pattern.search(normal):
            found.setdefault(topic.name, []).append(topic.language)
    return found


def data_topics(text: str) -> list[str]:
    """The data-handling topics that `text` mentions, in the keyword file's order."""
    return list(found_topics(text))


def mentions_onyx(text: str) -> bool:
    """Whether `text` names Onyx."""
    return bool(_ONYX.search(text))


def partner_host(url: str, current: str, production_host: str) -> bool:
    """Whether a redirect from `current` to `url` stays on the partner's hosts: the same host,
    or the production domain and its subdomains (compared by host, not port)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host:
        return False
    if host == (urlsplit(current).hostname or "").lower().rstrip("."):
        return True
    domain = production_host.lower().rstrip(".")
    return bool(domain) and (host == domain or host.endswith("." + domain))


async def fetch_notice(ctx: ProbeContext, findings: Findings, url: str) -> Response | None:
    """GET the notice, following up to MAX_REDIRECTS https hops on the partner's hosts; None
    (with the failure recorded) when the chain leaves https or the partner, or goes on."""
    production_host = domain_host(ctx.profile) if ctx.profile.production_domain else ""
    hops = 0
    while True:
        note = f"privacy notice, redirect {hops}" if hops else "privacy notice"
        response = await ctx.fetch("GET", url, note=note)
        findings.record(response.evidence)
        if response.status not in REDIRECT_STATUSES:
            return response
        if not response.location:
            findings.fail(
                "PRIVACY_NOTICE_UNAVAILABLE",
                f"{url} answered {response.status} without saying where the notice is",
            )
            return None
        if hops == MAX_REDIRECTS:
            findings.fail(
                "PRIVACY_NOTICE_UNAVAILABLE",
                f"the privacy notice URL redirects more than {MAX_REDIRECTS} times",
            )
            return None
        target = resolve_location(url, response.location)
        scheme = urlsplit(target).scheme.lower()
        if scheme == "http":
            findings.fail(
                "PRIVACY_NOT_HTTPS",
                f"{url} redirects ({response.status}) to {target}, a plain-http URL",
            )
            return None
        if scheme != "https" or not partner_host(target, url, production_host):
            findings.fail(
                "PRIVACY_FOREIGN_REDIRECT",
                f"{url} redirects ({response.status}) to {target}, off the partner's hosts; "
                "put the notice's own address in the profile",
            )
            return None
        url = target
        hops += 1


def judge_notice(findings: Findings, response: Response) -> str:
    """Judge the final answer's status, type and wording; the summary's topics when it passes."""
    if response.status != 200:
        findings.fail(
            "PRIVACY_NOTICE_UNAVAILABLE",
            f"the privacy notice URL answered {response.status} instead of 200",
        )
        return ""
    header = response.headers.get("content-type", "")
    content_type = header.split(";", 1)[0].strip().lower()
    if content_type not in _TEXT_TYPES:
        findings.fail(
            "PRIVACY_NOT_TEXT",
            f"the privacy notice is served as {content_type or 'no content type'}, not "
            "text/html or text/plain",
        )
        return ""
    page = page_text(decode(response.body, header), content_type)
    found = found_topics(page.text)
    onyx = mentions_onyx(page.text)
    findings.record(
        {
            "check": "privacy notice wording",
            "names_onyx": onyx,
            "topics": found,
            "words": page.words,
            "scripts": page.scripts,
        }
    )
    if onyx and len(found) >= MIN_TOPICS:
        return ", ".join(found)
    if page.scripts and page.words < MIN_WORDS:
        findings.warn(
            "PRIVACY_NEEDS_JAVASCRIPT",
            f"the privacy notice at {response.url} has {page.words} words of text and "
            f"{page.scripts} script(s): it is rendered by JavaScript, so a person must read it "
            "in a browser",
        )
        return ""
    if not onyx:
        read = ""
        if response.truncated:
            kib = len(response.body) // 1024
            read = f" in the first {kib} KiB (the page is longer; no more is read)"
        findings.fail("PRIVACY_NOTICE_INCOMPLETE", f"the privacy notice never names Onyx{read}")
    if len(found) < MIN_TOPICS:
        seen = ", ".join(found) or "none"
        findings.warn(
            "PRIVACY_DATA_HANDLING_UNCLEAR",
            f"the privacy notice mentions fewer than {MIN_TOPICS} data-handling topics "
            f"(found: {seen}); a person must confirm it says how partner data is handled",
        )
    return ", ".join(found)


@probe(
    PROBE_ID,
    title="Privacy notice is published and explains data handling",
    profile=("privacy_notice_url",),
)
async def privacy_notice(ctx: ProbeContext) -> ProbeResult:
    """Fetch the privacy notice and check that it names Onyx and covers data handling."""
    findings = ctx.findings(PROBE_ID)
    url = ctx.profile.privacy_notice_url
    if urlsplit(url).scheme.lower() != "https":
        findings.fail("PRIVACY_NOT_HTTPS", f"the privacy notice URL {url} does not use https")
        return findings.result("PRIVACY_NOTICE_OK", "")
    response = await fetch_notice(ctx, findings, url)
    covered = ""
    if response is not None:
        # Reading a large page for its keywords takes a while: off the event loop.
        covered = await asyncio.to_thread(judge_notice, findings, response)
    return findings.result(
        "PRIVACY_NOTICE_OK",
        f"the privacy notice names Onyx and covers {covered}; a person still confirms what it says",
    )
