"""The scanner engine's own promises: overlapping rules each get their chance, nothing is found
twice, known secrets win, and candidates nested in candidates stay linear.

The rules here are the packaged ones and small rule files written for the test; the text is
real bytes through the real RE2 automata.
"""

from __future__ import annotations

from pathlib import Path

from onyx_wizard.scan import Category, default_rules, parse_rules, scan_paths, scan_text
from onyx_wizard.scan.engine import Matcher
from onyx_wizard.scan.rules import capture_free

GITHUB = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"


def rules_of(text: str) -> list[str]:
    return [finding.rule for finding in scan_text(text)]


def test_a_rejected_context_match_does_not_hide_a_url_password_inside_it() -> None:
    # `secret: "…"` is a context candidate; its value is a URL, which the assignment rule
    # refuses (a reference, not a secret): the password inside the URL must still be found.
    line = 'secret: "postgres://app:Xq7vLp2Rt9@db:5432/orders"'
    assert rules_of(line) == ["url-credentials"]


def test_a_rejected_candidate_does_not_hide_a_private_key_that_starts_inside_it() -> None:
    key = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
    line = f'config = "-----BEGIN PRIVATE KEY-----\\n{key}\\n-----END PRIVATE KEY-----"'
    assert "private-key" in rules_of(line)


def test_every_rule_matching_at_one_start_gets_its_chance_in_file_order() -> None:
    rules = parse_rules(
        """
[[rule]]
id = "long-form"
category = "token"
regex = '''\\btok_[a-z]{4}_[0-9]{6}\\b'''
min_length = 100

[[rule]]
id = "short-form"
category = "token"
regex = '''\\btok_[a-z]{4}'''
"""
    )
    # Both rules match at the same start; the first is listed first but refuses the value
    # (too short), so the second rule names the finding.
    hits = Matcher(rules).hits(b"id tok_abcd_123456 end")
    assert [(hit.rule, hit.start) for hit in hits] == [("short-form", 3)]


def test_a_match_inside_an_accepted_one_is_not_reported_again() -> None:
    # The Bearer value is a GitHub token: one finding, named by the specific rule.
    assert rules_of(f"Authorization: Bearer {GITHUB}") == ["github-token"]


def test_a_known_secret_outranks_a_pattern_over_the_same_bytes() -> None:
    findings = scan_text(f"token {GITHUB}", {"github_pat": GITHUB})
    assert [f.rule for f in findings] == ["known-secret:github_pat"]
    assert findings[0].category is Category.KNOWN_SECRET


def test_capture_free_keeps_classes_escapes_and_non_capturing_groups() -> None:
    assert capture_free(r"a(b)[(]\((?:c)(?P<n>d)(?i:e)") == r"a(?:b)[(]\((?:c)(?:d)(?i:e)"
    assert capture_free(r"[]()](x)[^]()](y)") == r"[]()](?:x)[^]()](?:y)"


def test_every_packaged_rule_has_a_capture_free_form_with_the_same_matches() -> None:
    import re2

    sample = (
        f"key={GITHUB} password=Zx9!kQ2#vL mail ana@corp.io card 4539 1488 0343 6467 "
        "iban DE89370400440532013000 +4915112345678 536-22-1937 curl -u bob:Pa55w0rd! x"
    ).encode()
    for rule in default_rules():
        full = re2.compile(rule.regex.encode())
        free = re2.compile(capture_free(rule.regex).encode())
        assert free.groups == 0, rule.id
        spans = [m.span() for m in full.finditer(sample)]
        assert [m.span() for m in free.finditer(sample)] == spans, rule.id


def test_nested_candidates_stay_linear_and_the_real_one_is_still_found(tmp_path: Path) -> None:
    """Each line holds thousands of candidates that start inside one another and are all
    refused; the scan must finish (RE2 is linear, and a rejected candidate is searched again
    from its next byte only once), and the one real value at the end is still reported."""
    n = 20_000
    lines = [
        "token=" * n + GITHUB,
        "password=password=" * (n // 2) + " password=Zx9!kQ2#vLp",
        "secret_key_token_auth_cred" * (n // 4) + f"={GITHUB}",
        "curl -u a:" * n,
        '"key": "' * n,
        "@a." * n + " ana@corp.io",
        "ghp_" * n,
        "4111 " * n,
    ]
    path = tmp_path / "nested.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = scan_paths([path], salt=b"s")
    assert not report.errors and report.files == 1
    found = {(finding.line, finding.rule) for finding in report.findings}
    assert (1, "github-token") in found
    assert (2, "password-assignment") in found
    assert (3, "github-token") in found
    assert (6, "email") in found


def test_a_validator_paired_with_a_looser_regex_rejects_rather_than_raises() -> None:
    rules = parse_rules(
        """
[[rule]]
id = "loose-card"
category = "pii"
regex = '''\\bcard:[A-Za-z0-9 -]{13,19}'''
validator = "card"
"""
    )
    assert Matcher(rules).hits(b"x card:abcd efgh 1234 567 y") == []


def test_published_ssn_examples_are_reported_as_suppressed_not_hidden(tmp_path: Path) -> None:
    path = tmp_path / "w2.log"
    path.write_text("sample 078-05-1120, ssn=219099999, real 536-22-1937\n", encoding="utf-8")
    report = scan_paths([path], salt=b"s")
    assert [finding.rule for finding in report.findings] == ["us-ssn"]
    assert [(e.rule, e.reason.split(" (")[0]) for e in report.examples] == [
        ("us-ssn", "documented example"),
        ("us-ssn-labelled", "documented example"),
    ]
