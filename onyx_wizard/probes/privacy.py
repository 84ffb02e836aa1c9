"""Privacy notice: served over https as text, naming Onyx and how partner data is handled."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from onyx_wizard.probes._context import ProbeContext
from onyx_wizard.probes._model import Findings, ProbeResult
from onyx_wizard.probes._registry import probe

PROBE_ID = "privacy-notice"
# Each topic counts once however often it is mentioned; a notice must touch at least two.
DATA_TOPICS = {
    "data": re.compile(r"\bdata\b", re.IGNORECASE),
    "personal": re.compile(r"\bpersonal\b", re.IGNORECASE),
    "retention": re.compile(r"\bretain|\bretention\b", re.IGNORECASE),
    "deletion": re.compile(r"\bdelet(?:e|ed|es|ing|ion)\b", re.IGNORECASE),
    "sharing": re.compile(r"\bshar(?:e|ed|es|ing)\b", re.IGNORECASE),
    "processing": re.compile(r"\bprocess(?:es|ed|ing)?\b", re.IGNORECASE),
}
MIN_TOPICS = 2
_ONYX = re.compile(r"\bonyx\b", re.IGNORECASE)
_TEXT_TYPES = ("text/html", "text/plain")


class _TextExtractor(HTMLParser):
    """Collects the readable text of an HTML page, leaving out scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(body: str, content_type: str) -> str:
    """The text a reader sees: tags stripped for HTML, the body as-is for plain text."""
    if not content_type.startswith("text/html"):
        return body
    extractor = _TextExtractor()
    extractor.feed(body)
    extractor.close()
    return " ".join(extractor.parts)


def data_topics(text: str) -> list[str]:
    """The data-handling topics (DATA_TOPICS keys) that `text` mentions."""
    return [topic for topic, pattern in DATA_TOPICS.items() if pattern.search(text)]


def mentions_onyx(text: str) -> bool:
    """Whether `text` names Onyx."""
    return bool(_ONYX.search(text))


@probe(
    PROBE_ID,
    title="Privacy notice is published and explains data handling",
    profile=("privacy_notice_url",),
)
async def privacy_notice(ctx: ProbeContext) -> ProbeResult:
    """Fetch the privacy notice and check that it names Onyx and covers data handling."""
    findings = Findings(PROBE_ID)
    url = ctx.profile.privacy_notice_url
    if urlsplit(url).scheme != "https":
        findings.fail("PRIVACY_NOT_HTTPS", f"the privacy notice URL {url} does not use https")
        return findings.result("PRIVACY_NOTICE_OK", "")

    response = await ctx.fetch("GET", url, note="privacy notice")
    findings.record(response.evidence)
    if 300 <= response.status < 400:
        findings.fail(
            "PRIVACY_NOTICE_UNAVAILABLE",
            f"the privacy notice URL redirects ({response.status}) to "
            f"{response.location or 'nowhere'} instead of serving the notice",
        )
        return findings.result("PRIVACY_NOTICE_OK", "")
    if response.status != 200:
        findings.fail(
            "PRIVACY_NOTICE_UNAVAILABLE",
            f"the privacy notice URL answered {response.status} instead of 200",
        )
        return findings.result("PRIVACY_NOTICE_OK", "")
    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in _TEXT_TYPES:
        findings.fail(
            "PRIVACY_NOT_TEXT",
            f"the privacy notice is served as {content_type or 'no content type'}, not "
            "text/html or text/plain",
        )
        return findings.result("PRIVACY_NOTICE_OK", "")

    text = visible_text(response.text, content_type)
    topics = data_topics(text)
    missing = []
    if not mentions_onyx(text):
        missing.append("any mention of Onyx")
    if len(topics) < MIN_TOPICS:
        missing.append(
            f"at least {MIN_TOPICS} data-handling topics of {', '.join(DATA_TOPICS)}"
            f" (found {', '.join(topics) or 'none'})"
        )
    if missing:
        findings.fail(
            "PRIVACY_NOTICE_INCOMPLETE", f"the privacy notice lacks {' and '.join(missing)}"
        )
    return findings.result(
        "PRIVACY_NOTICE_OK",
        f"the privacy notice names Onyx and covers {', '.join(topics)}; a person still confirms "
        "what it says",
    )
