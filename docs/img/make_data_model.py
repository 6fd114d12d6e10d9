"""Draw ``docs/img/data-model.svg``: the ontology's main classes and properties in one picture.

Laid out by hand (the positions below), from ``ontology/competency-kg.ttl``; no external
service. Run ``.venv/bin/python docs/img/make_data_model.py docs/img/data-model.svg`` after
changing it.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

W, H = 1110, 660
BW, BH = 204, 44
boxes = {
    "Competency": (555, 60, "ckg:Competency", "main"),
    "ListEntry": (995, 60, "ckg:ListEntry", ""),
    "Level": (115, 60, "ckg:ProficiencyLevel", ""),
    "Statement": (115, 185, "ckg:CompetencyStatement", ""),
    "Requirement": (350, 185, "ckg:CompetencyRequirement", ""),
    "Scenario": (700, 185, "ckg:WorkScenario", ""),
    "List": (995, 185, "ckg:PrioritizedList", ""),
    "Framework": (115, 315, "ceasn:CompetencyFramework", ""),
    "Occupation": (555, 315, "ckg:Occupation", "main"),
    "Twin": (995, 315, "ckg:Occupation (other source)", "twin"),
    "Tool": (115, 455, "ckg:Tool · ckg:Technology", ""),
    "Cert": (335, 455, "ckg:Certification", ""),
    "Title": (555, 455, "ckg:JobTitle", ""),
    "Task": (775, 455, "ckg:Task", ""),
    "Rating": (995, 455, "ckg:ElementRating", ""),
    "WorkActivity": (775, 570, "ckg:WorkActivity", ""),
    "Element": (995, 570, "ckg:ContentModelElement", ""),
    "Graph": (115, 570, "ckg:SourceGraph", "prov"),
    "Document": (445, 570, "ckg:SourceDocument", "prov"),
}
edges = [
    ("Occupation", "Requirement", "ckg:requires", ""),
    ("Requirement", "Competency", "ckg:competency", ""),
    ("Requirement", "Level", "ckg:requiredLevel", ""),
    ("Occupation", "Scenario", "ckg:scenario", ""),
    ("Scenario", "Competency", "ckg:exercises", ""),
    ("Occupation", "List", "ckg:prioritizedList", ""),
    ("List", "ListEntry", "ckg:entry", ""),
    ("ListEntry", "Competency", "ckg:competency", ""),
    ("Occupation", "Framework", "ckg:hasFramework", ""),
    ("Statement", "Framework", "ceasn:isPartOf", ""),
    ("Statement", "Level", "ckg:atLevel", ""),
    ("Occupation", "Twin", "skos:exactMatch", "dashed"),
    ("Occupation", "Tool", "ckg:usesTool", ""),
    ("Occupation", "Cert", "ckg:preferredCertification", ""),
    ("Occupation", "Title", "ckg:jobTitle", ""),
    ("Occupation", "Task", "ckg:task", ""),
    ("Occupation", "Rating", "ckg:rating", ""),
    ("Task", "WorkActivity", "ckg:workActivity", ""),
    ("Rating", "Element", "ckg:element", ""),
    ("Graph", "Document", "prov:wasDerivedFrom", ""),
]
fill = {"main": "#dbe8fb", "twin": "#eef3fb", "prov": "#f3efe4", "": "#ffffff"}
stroke = {"main": "#1d4f91", "twin": "#1d4f91", "prov": "#8a6d2b", "": "#55606e"}


def clip(x1, y1, x2, y2):
    """Where the segment from the centre (x1, y1) towards (x2, y2) leaves the box at (x1, y1)."""
    dx, dy = x2 - x1, y2 - y1
    tx = (BW / 2) / abs(dx) if dx else math.inf
    ty = (BH / 2) / abs(dy) if dy else math.inf
    t = min(tx, ty)
    return x1 + dx * t, y1 + dy * t


out = [
    f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
    'font-family="DejaVu Sans, Verdana, sans-serif" font-size="12" role="img" '
    'aria-labelledby="t d">',
    '<title id="t">The competency-kg data model</title>',
    '<desc id="d">An occupation requires competencies at proficiency levels, through '
    "requirements; it has competency frameworks whose statements sit at levels, prioritized "
    "lists of competencies, work scenarios exercising competencies, tools, certifications, job "
    "titles, O*NET tasks and ratings; skos:exactMatch links it to the same occupation in "
    "other sources. Every fact lives in the named graph of its source.</desc>",
    '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
    'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#55606e"/>'
    "</marker></defs>",
    f'<rect width="{W}" height="{H}" fill="#fbfcfe"/>',
]
labels = []
for a, b, label, style in edges:
    x1, y1 = boxes[a][:2]
    x2, y2 = boxes[b][:2]
    sx, sy = clip(x1, y1, x2, y2)
    ex, ey = clip(x2, y2, x1, y1)
    dash = ' stroke-dasharray="6 4"' if style == "dashed" else ""
    extra = ' marker-start="url(#a)"' if style == "dashed" else ""
    out.append(
        f'<line x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" stroke="#55606e" '
        f'stroke-width="1.3"{dash} marker-end="url(#a)"{extra}/>'
    )
    t = 0.68 if a == "Occupation" and boxes[b][1] > y1 else 0.5  # the fan below: spread out
    mx, my = sx + (ex - sx) * t, sy + (ey - sy) * t
    labels.append((mx, my, label))
for x, y, text, kind in boxes.values():
    out.append(
        f'<rect x="{x - BW / 2}" y="{y - BH / 2}" width="{BW}" height="{BH}" rx="7" '
        f'fill="{fill[kind]}" stroke="{stroke[kind]}" stroke-width="1.5"/>'
    )
    weight = ' font-weight="bold"' if kind == "main" else ""
    out.append(
        f'<text x="{x}" y="{y + 4}" text-anchor="middle" fill="#1a2230"{weight}>{text}</text>'
    )
for mx, my, label in labels:
    w = 7.0 * len(label) + 8
    out.append(
        f'<rect x="{mx - w / 2:.1f}" y="{my - 9:.1f}" width="{w:.1f}" height="16" rx="3" '
        'fill="#fbfcfe" opacity="0.92"/>'
    )
    out.append(
        f'<text x="{mx:.1f}" y="{my + 3.5:.1f}" text-anchor="middle" fill="#384252" '
        f'font-size="11" font-style="italic">{label}</text>'
    )
out.append(
    '<text x="15" y="622" fill="#384252" font-size="11.5">Every fact lives in the named '
    "graph of the source that states it (a ckg:SourceGraph, described in the metadata "
    "graph); the default graph is their merge.</text>"
)
out.append(
    '<text x="15" y="642" fill="#6b7480" font-size="10.5">Classes and properties from '
    "ontology/competency-kg.ttl (the main ones); dashed: a link across sources.</text>"
)
out.append("</svg>")
Path(sys.argv[1]).write_text("\n".join(out) + "\n", encoding="utf-8")
