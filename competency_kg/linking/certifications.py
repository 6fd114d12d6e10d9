"""Certifications across documents (and to CTDL-ASN credentials): one credential, many names.

Documents name a credential with or without its vendor ("CompTIA Security+", "Security +"), with
filler words ("Network + Certified"), the holder's title ("… Technician") or its acronym
("… Network Associate (CCNA)"). :func:`credential_key` reduces a name to what identifies the
credential; vendors are compared apart, so two vendors' "Certified Professional" never meet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import SKOS

from competency_kg.linking.index import Index, Target
from competency_kg.linking.model import Link, LinkReport, Sources
from competency_kg.linking.text import STOPWORDS, acronym_in_brackets, words

#: Words that say a name is a credential, not which one.
FILLER = frozenset({"certified", "certification", "certificate", "cert", "credential"})
#: Words naming who holds the credential ("Certified A+ Technician"): a close match only.
HOLDER = frozenset({"technician", "holder"})
#: Words naming a level of one credential: the name with the level is narrower.
LEVELS = frozenset(
    {
        "foundation",
        "fundamentals",
        "associate",
        "professional",
        "expert",
        "practitioner",
        "master",
        "advanced",
        "specialist",
        "intermediate",
        "basic",
        "entry",
    }
)
#: Certification bodies (O*NET names no credentials, so these are not in its data).
CERTIFIERS = frozenset(
    {
        "comptia",
        "cisco",
        "microsoft",
        "isc2",
        "isaca",
        "pmi",
        "axelos",
        "aws",
        "amazon",
        "google",
        "oracle",
        "redhat",
        "vmware",
        "juniper",
        "citrix",
        "sans",
        "giac",
        "ec",
    }
)


@dataclass(frozen=True)
class CredentialName:
    vendor: str  # "" when the name gives none
    key: frozenset[str]  # the identifying words
    holder: bool  # a holder's title was dropped
    acronym: str  # "ccna" from "… (CCNA)", else ""


def credential_key(name: str) -> CredentialName:
    """What identifies a credential in its name.

    >>> a, b = credential_key("Network + Certified"), credential_key("CompTIA Network+")
    >>> a.key == b.key, a.vendor, b.vendor
    (True, '', 'comptia')
    >>> sorted(credential_key("Acme Certified Cloud Associate (ACCA)").key)  # Acme: no certifier
    ['acme', 'associate', 'cloud']
    """
    short = ""
    pair = acronym_in_brackets(name)
    if pair:
        name, short = pair[0], pair[1].lower()
    ws = list(words(name))
    for i in range(1, len(ws)):  # "A Plus" is "A+"
        if ws[i] == "plu" or ws[i] == "plus":
            ws[i - 1], ws[i] = ws[i - 1] + "+", ""
    ws = [w for w in ws if w and w not in STOPWORDS and w not in FILLER]
    vendor = ws[0] if ws and ws[0] in CERTIFIERS and len(ws) > 1 else ""
    if vendor:
        ws = ws[1:]
    holder = any(w in HOLDER for w in ws) and len(ws) > 1
    ws = [w for w in ws if w not in HOLDER] if holder else ws
    return CredentialName(vendor, frozenset(ws), holder, short)


def link_certifications(src: Sources, report: LinkReport) -> None:
    seeds = src.rows(src.seed, "?c a ckg:Certification ; skos:prefLabel ?l")
    ctdl = src.rows(src.ctdl, "?c a ceterms:Certification ; ceterms:name ?l")
    names: dict[URIRef, str] = {}
    graphs: dict[URIRef, set[URIRef]] = defaultdict(set)
    for r in seeds:
        names.setdefault(r["c"], str(r["l"]))
        graphs[r["c"]].add(r["g"])
    targets = [(c, n, "another document's certification") for c, n in names.items()]
    targets += [(r["c"], str(r["l"]), "CTDL-ASN certification") for r in ctdl]
    index = Index(Target(c, n, d) for c, n, d in targets)
    for c, name in sorted(names.items()):
        report.look("certifications", c, name)
        mine = credential_key(name)
        links: list[Link] = []
        for t, tname, desc in targets:
            if t == c or (desc.startswith("another") and str(t) < str(c)):
                continue  # each pair of documents' certifications once
            link = _match(c, name, mine, t, tname, desc)
            if link:
                links.append(link)
        report.links.extend(links)
        if not links and not any(k.target == c for k in report.links):
            report.propose(c, [x for x in index.nearest(name) if x[0].iri != c])


def _match(
    c: URIRef, name: str, mine: CredentialName, t: URIRef, tname: str, desc: str
) -> Link | None:
    other = credential_key(tname)
    if mine.vendor and other.vendor and mine.vendor != other.vendor:
        return None
    labels = (name, tname)
    if mine.acronym and (mine.acronym == other.acronym or {mine.acronym} == other.key):
        return Link(
            c,
            SKOS.exactMatch,
            t,
            "credential acronym",
            f"'{name}' and {desc} '{tname}' give the acronym {mine.acronym.upper()}",
            0.9,
            1.0,
            labels,
        )
    if other.acronym and {other.acronym} == mine.key:
        return Link(
            c,
            SKOS.exactMatch,
            t,
            "credential acronym",
            f"'{name}' is the acronym {desc} '{tname}' gives",
            0.9,
            1.0,
            labels,
        )
    if not mine.key or not other.key or not (mine.key - LEVELS) or not (other.key - LEVELS):
        return None
    shown = " ".join(sorted(mine.key))
    if mine.key == other.key:
        if mine.holder or other.holder:
            return Link(
                c,
                SKOS.closeMatch,
                t,
                "credential name and holder",
                f"'{name}' and {desc} '{tname}' name the credential '{shown}', one "
                f"by its holder's title",
                0.75,
                1.0,
                labels,
            )
        return Link(
            c,
            SKOS.exactMatch,
            t,
            "credential name",
            f"'{name}' and {desc} '{tname}' both name '{shown}' once vendor and "
            f"filler words are set aside",
            0.9,
            1.0,
            labels,
        )
    if mine.key < other.key and other.key - mine.key <= LEVELS:
        return Link(
            c,
            SKOS.narrowMatch,
            t,
            "credential level",
            f"{desc} '{tname}' is a level ({', '.join(sorted(other.key - mine.key))}) of '{name}'",
            0.7,
            labels=labels,
        )
    if other.key < mine.key and mine.key - other.key <= LEVELS:
        return Link(
            c,
            SKOS.broadMatch,
            t,
            "credential level",
            f"'{name}' is a level ({', '.join(sorted(mine.key - other.key))}) of {desc} '{tname}'",
            0.7,
            labels=labels,
        )
    return None
