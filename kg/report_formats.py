"""Validation reports for people and machines: text, flat JSON, Turtle/JSON-LD, JUnit XML.

The engine produces a standard sh:ValidationReport; this module presents it. Text and HTML
group results per shape and severity with counts and the first examples, because a curator
facing 3,000 results needs to know which 4 rules they broke, not to read 3,000 lines.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any
from xml.sax.saxutils import escape, quoteattr

SH = "http://www.w3.org/ns/shacl#"
REPORT_FORMATS = ["text", "turtle", "jsonld", "json", "junit", "html"]


def _s(term: Any) -> str | None:
    if term is None:
        return None
    return str(term)


def _short(iri: str | None) -> str:
    if iri is None:
        return ""
    return iri.removeprefix(SH)


def _message(r: Any) -> str:
    msgs = list(getattr(r, "messages", ()) or ())
    for m in msgs:
        if getattr(m, "language", None) in (None, "en"):
            return str(m)
    if msgs:
        return str(msgs[0])
    return f"{_short(_s(r.source_constraint_component))} constraint not met"


def result_dict(r: Any) -> dict[str, Any]:
    path = r.result_path
    return {
        "focusNode": _s(r.focus_node),
        "path": _s(path) if path is not None and not _is_bnode(path) else _path_text(r),
        "value": _s(r.value),
        "severity": _short(_s(r.severity)),
        "constraintComponent": _short(_s(r.source_constraint_component)),
        "sourceShape": _s(r.source_shape),
        "message": _message(r),
    }


def _is_bnode(term: Any) -> bool:
    return type(term).__name__ == "BNode"


def _path_text(r: Any) -> str | None:
    text = getattr(r, "path_text", None)
    return text() if callable(text) else (str(r.result_path) if r.result_path is not None else None)


def report_json(report: Any) -> dict[str, Any]:
    results = [result_dict(r) for r in report.results]
    by_sev = Counter(r["severity"] for r in results)
    return {"conforms": report.conforms, "counts": {"violations": by_sev.get("Violation", 0),
                                                    "warnings": by_sev.get("Warning", 0),
                                                    "infos": by_sev.get("Info", 0)},
            "results": results}


def as_json(report: Any) -> dict[str, Any]:
    """Accepts an engine report or its JSON form (what a remote server sends back)."""
    return report if isinstance(report, dict) else report_json(report)


def _groups(report: Any) -> list[tuple[tuple[str, str, str], list[dict[str, Any]]]]:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for d in as_json(report)["results"]:
        groups[(d["severity"], d["message"], d["path"] or "")].append(d)
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    return sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 3), -len(kv[1]), kv[0][1]))


def report_text(report: Any, *, examples: int = 3, title: str = "") -> str:
    data = as_json(report)
    c = data["counts"]
    head = f"{title}: " if title else ""
    if data["conforms"]:
        return f"{head}conforms (no results)\n"
    lines = [f"{head}{c['violations']} violation(s), {c['warnings']} warning(s), {c['infos']} info(s)"]
    for (sev, msg, path), items in _groups(report):
        lines.append(f"\n[{sev}] {msg}  ({len(items)}x{', path ' + path if path else ''})")
        for d in items[:examples]:
            value = f"  value: {d['value']}" if d["value"] is not None else ""
            lines.append(f"    focus: {d['focusNode']}{value}")
        if len(items) > examples:
            lines.append(f"    ... and {len(items) - examples} more")
    return "\n".join(lines) + "\n"


def report_junit(report: Any, *, suite: str = "agora-validation") -> str:
    """One test case per (shape, severity) group; violations are failures, the rest system-out."""
    groups = _groups(report)
    failures = sum(1 for (sev, _, _), _items in groups if sev == "Violation")
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuite name={quoteattr(suite)} tests="{max(len(groups), 1)}" failures="{failures}">']
    if not groups:
        out.append('  <testcase classname="shacl" name="conforms"/>')
    for (sev, msg, path), items in groups:
        name = quoteattr(f"{msg} [{path}]" if path else msg)
        shape = quoteattr(items[0]["sourceShape"] or "shacl")
        body = "\n".join(f"{d['focusNode']} {d['path'] or ''} {d['value'] or ''}".strip() for d in items)
        if sev == "Violation":
            out.append(f"  <testcase classname={shape} name={name}>"
                       f"<failure message={quoteattr(f'{len(items)} violation(s)')}>{escape(body)}</failure>"
                       "</testcase>")
        else:
            out.append(f"  <testcase classname={shape} name={name}><system-out>{escape(sev)}: "
                       f"{escape(body)}</system-out></testcase>")
    out.append("</testsuite>")
    return "\n".join(out) + "\n"


def report_html(report: Any, *, title: str = "Validation report") -> str:
    data = as_json(report)
    c = data["counts"]
    parts = [f"<section class='report'><h2>{escape(title)}</h2>",
             f"<p class='summary'>{'Conforms' if data['conforms'] else 'Does not conform'}: "
             f"{c['violations']} violation(s), {c['warnings']} warning(s), {c['infos']} info(s)</p>"]
    for (sev, msg, path), items in _groups(report):
        parts.append(f"<details class='group {sev.lower()}' open><summary><span class='sev'>{escape(sev)}</span> "
                     f"{escape(msg)} <code>{escape(path)}</code> <b>{len(items)}</b></summary><table>"
                     "<thead><tr><th>Focus node</th><th>Value</th></tr></thead><tbody>")
        for d in items[:200]:
            focus = d["focusNode"] or ""
            parts.append(f"<tr><td><a href='/resource?iri={escape(focus)}'>{escape(focus)}</a></td>"
                         f"<td>{escape(d['value'] or '')}</td></tr>")
        parts.append("</tbody></table></details>")
    parts.append("</section>")
    return "".join(parts)


def render_report(report: Any, fmt: str) -> str | bytes:
    if fmt == "text":
        return report_text(report)
    if fmt == "json":
        return json.dumps(as_json(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "junit":
        return report_junit(report)
    if fmt == "html":
        return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Validation report</title>"
                "</head><body>" + report_html(report) + "</body></html>\n")
    if fmt in ("turtle", "ttl"):
        return report.to_graph().serialize(format="turtle")
    if fmt in ("jsonld", "json-ld"):
        return report.to_graph().serialize(format="json-ld")
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(REPORT_FORMATS)}")
