"""A resource's whole page: the generic parts, the profile its type calls for, its twins,
its sources and its schema.org description."""

from __future__ import annotations

from competency_kg.namespaces import CKG
from competency_kg.web.describe import Description
from competency_kg.web.pages.builder import Builder
from competency_kg.web.pages.competency import competency_profile
from competency_kg.web.pages.generic import build_page
from competency_kg.web.pages.jsonld import jsonld
from competency_kg.web.pages.linked import linked_kind, linked_profile
from competency_kg.web.pages.model import Page
from competency_kg.web.pages.names import MAX_SKIPPED_NAMED, complete_labels
from competency_kg.web.pages.occupation import occupation_profile
from competency_kg.web.pages.site import Site
from competency_kg.web.reading import Reader
from competency_kg.web.sources import Source
from competency_kg.web.twins import occupation_groups


def page_for(reader: Reader, d: Description, site: Site, sources: dict[str, Source]) -> Page:
    b = Builder(site, sources)
    named = [*d.summary, d.term]
    if len(d.skipped) <= MAX_SKIPPED_NAMED:
        named += sorted(d.skipped)
    complete_labels(reader, d, named)
    is_profile = d.has_type(str(CKG.Occupation)) or d.has_type(str(CKG.Competency))
    is_profile = is_profile or d.has_type(str(CKG.ContentModelElement))
    page = build_page(reader, d, b, profile=is_profile)
    profile = None
    if d.has_type(str(CKG.Occupation)):
        profile = occupation_profile(reader, d, b)
        page.kind = "occupation"
        group = occupation_groups(reader, site.base, reader.version).by_member.get(d.iri)
        page.twins = [t.view(site) for t in group.others(d.iri)] if group else []
    elif d.has_type(str(CKG.Competency)) or d.has_type(str(CKG.ContentModelElement)):
        profile = competency_profile(reader, d, b)
        page.kind = "competency"
    elif (kind := linked_kind(d)) is not None:
        page.linked = linked_profile(reader, d, b, kind)
    page.profile = profile
    # every fact cited so far, then the graphs of the rest, so the list is complete
    b.cite(d.graphs)
    page.sources = sorted(b.used, key=lambda s: s.number)
    page.jsonld = jsonld(d, page, site, profile)
    return page
