"""A schema.org description of a page's resource, for search engines."""

from __future__ import annotations

from typing import Any

from competency_kg.namespaces import CKG
from competency_kg.web.describe import Description
from competency_kg.web.pages.model import Page
from competency_kg.web.pages.names import skos
from competency_kg.web.pages.site import Site
from competency_kg.web.terms import iri_value


def jsonld(
    d: Description, page: Page, site: Site, profile: dict[str, Any] | None
) -> dict[str, Any]:
    """A schema.org description of the resource, for search engines."""
    out: dict[str, Any] = {
        "@context": "https://schema.org",
        "@id": d.iri,
        "url": d.iri,
        "name": page.title,
    }
    if page.definition:
        out["description"] = page.definition
    if d.has_type(str(CKG.Occupation)):
        out["@type"] = "Occupation"
        if page.notation:
            out["occupationalCategory"] = {
                "@type": "CategoryCode",
                "codeValue": page.notation,
                "inCodeSet": "O*NET-SOC 2019",
            }
        if profile:
            skills = [
                r["competency"].text
                for _, items in profile.get("requirements", [])
                for r in items
                if r.get("competency")
            ]
            onet = profile.get("onet") or {}
            for name, items in onet.get("ratings", []):
                if name in ("Skills", "Knowledge"):
                    skills += [x["element"].text for x in items[:10]]
            if skills:
                out["skills"] = sorted(set(skills))
            if profile.get("certifications"):
                out["qualifications"] = [v.text for v in profile["certifications"]]
            titles = [v.text for v in profile.get("job_titles", [])] + list(
                onet.get("title_names", [])
            )
            if titles:
                out["alternateName"] = sorted(set(titles))[:50]
    else:
        out["@type"] = "DefinedTerm"
        if page.notation:
            out["termCode"] = page.notation
        scheme = d.value(skos("inScheme"))
        if scheme:
            out["inDefinedTermSet"] = iri_value(scheme)
    return out
