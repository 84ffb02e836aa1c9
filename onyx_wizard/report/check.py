"""`onyx-wizard check` output: a human table, the check/v1 JSON, and JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from onyx_wizard.report.looks import outcome_icon


def as_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def as_text(doc: dict[str, Any]) -> str:
    """One line per probe, then the items they cover, then the verdict."""
    lines = [f"onyx-wizard check — {doc['environment']}, checklist {doc['checklist_version']}"]
    width = max((len(p["id"]) for p in doc["probes"]), default=10)
    for p in doc["probes"]:
        icon = outcome_icon(p["outcome"])
        lines.append(
            f"  {icon} {p['outcome']:<7} {p['id']:<{width}}  {p['reason_code']:<32} "
            f"{p['duration_ms']:>6} ms  {p['message']}"
        )
    lines.append("")
    lines.append("Items:")
    for item in doc["items"]:
        reason = f" — {item['reason']}" if item["reason"] else ""
        lines.append(f"  [{item['status']}] {item['title']}{reason}")
    s = doc["summary"]
    lines.append("")
    lines.append(
        f"{s['pass']} pass, {s['warn']} warn, {s['fail']} fail, {s['error']} error, "
        f"{s['skipped']} skipped in {doc['duration_ms']} ms · launch gate: "
        + ("ready" if doc["ready"] else "not ready")
    )
    return "\n".join(lines) + "\n"


def as_junit(doc: dict[str, Any]) -> str:
    """JUnit XML as CI servers read it: one testsuite, one testcase per probe."""
    s = doc["summary"]
    suite = ET.Element(
        "testsuite",
        {
            "name": "onyx-wizard check",
            "tests": str(len(doc["probes"])),
            "failures": str(s["fail"]),
            "errors": str(s["error"]),
            "skipped": str(s["skipped"]),
            "time": f"{doc['duration_ms'] / 1000:.3f}",
            "timestamp": doc["started_at"].removesuffix("Z"),
        },
    )
    props = ET.SubElement(suite, "properties")
    for name in ("environment", "checklist_version", "ready"):
        value = doc[name]
        # JSON's spelling for booleans (`true`), as in the check/v1 document, not Python's.
        text = json.dumps(value) if isinstance(value, bool) else str(value)
        ET.SubElement(props, "property", {"name": name, "value": text})
    items_of: dict[str, list[str]] = {}
    for item in doc["items"]:
        for p in item["probes"]:
            items_of.setdefault(p["id"], []).append(item["title"])
    for p in doc["probes"]:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": "onyx-wizard.probes",
                "name": p["id"],
                "time": f"{p['duration_ms'] / 1000:.3f}",
            },
        )
        detail = f"{p['reason_code']}: {p['message']}"
        if items_of.get(p["id"]):
            detail += "\nitems: " + "; ".join(items_of[p["id"]])
        if p["outcome"] == "fail":
            ET.SubElement(
                case, "failure", {"message": p["message"], "type": p["reason_code"]}
            ).text = detail
        elif p["outcome"] == "error":
            ET.SubElement(
                case, "error", {"message": p["message"], "type": p["reason_code"]}
            ).text = detail
        elif p["outcome"] == "skipped":
            ET.SubElement(case, "skipped", {"message": f"{p['reason_code']}: {p['message']}"})
        else:
            ET.SubElement(case, "system-out").text = detail
    root = ET.Element("testsuites", {"name": "onyx-wizard"})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
