"""The SHACL report of what is in the store, whole or for one source graph.

A report of the whole store is assembled from one report per named graph, so that it stays
feasible with millions of bulk-loaded triples in the store and so that a load recomputes only
what it changed:

- **Per graph.** Every named graph but the metadata graph is checked on its own; a source's
  curation graph (the corrections applied to it, :mod:`competency_kg.curation`) is checked
  together with the source it corrects.
- **Across graphs.** A graph's data is completed with what the other graphs say about its
  resources, and about the resources those statements point to (two steps out): a competency
  a document only names but another source defines (through the links graph), or the class
  another graph gives to something this one points at, is then seen as in the union of all
  graphs. Only results about the graph's own resources (the subjects of its triples) are kept;
  a resource several graphs describe is reported once, naming them all. Statements *pointing
  at* a graph's resources from other graphs are not fetched (a shared scale can have millions).
- **Entailed statements** (``{base}graph/entailed``, :mod:`competency_kg.entailment`) are
  neither checked nor taken as context: they only restate the sources' own statements in the
  vocabularies the ontology aligns to, and the shapes are written for what sources state.
- **Bulk sources** (any graph over :data:`state.BULK_TRIPLES` triples: a whole O*NET
  release) are checked **in place** in the embedded store, not copied: every shape's query
  runs once over the union of every graph but the metadata and entailed ones, for all bulk
  sources together, and each keeps the results about what it states
  (:func:`checks.validate_in_place`, ``graph_report._bulk_run``); conflicts and corrections
  read only the part of the graph they need. On a remote store the report shows the load-time
  summary the metadata graph records for them (``loaders/onet/``: row checks over every row,
  SHACL over a sample), and says so.
- **Cache.** Each graph's report is kept in process memory, keyed by its fingerprint (triple
  count, load time and source checksum from the metadata graph; a triple count for graphs
  the metadata graph does not describe) and its curation graph's. The fingerprints of all the
  other graphs are kept beside it: when one of those changed, the graph's cross-graph context
  is fetched again and compared by digest, and only a different context means a new
  validation. Reading the fingerprints costs a few small queries per report.
- **Corrections.** For a graph with corrections, the report of the source as it was (the
  retracted statements put back, the additions taken out) is compared with the current one:
  what disappeared is *resolved*, credited to exactly the corrections whose undoing brings
  it back (:func:`corrections.resolved_by_corrections`). Stale corrections are read from the
  metadata graph.
- **Documents not stored.** :func:`graph_report.document_report` gives the report a document
  would have once loaded (the upload check): the same per-graph computation on the
  document's graph as the load would correct it, with the store's other graphs as its
  context.

The parts, lowest first: ``results`` (what makes two results one finding), ``state`` (the
store's graphs and fingerprints), ``context`` (what other graphs say), ``checks`` (the
shapes, kept to a graph's own resources; in place for the bulk sources), ``corrections`` (what
each correction resolves), ``conflicts`` (conflicts and damaging edits across sources),
``graph_report`` (one graph's report and its cache), ``formats`` (the report as RDF),
``store_report`` (the store's report
assembled, and a resource's badges). This module gives the names its callers use.
"""

from competency_kg.reporting.checks import VALIDATION_LOCK
from competency_kg.reporting.conflicts import version_drops
from competency_kg.reporting.formats import report_graph
from competency_kg.reporting.graph_report import CACHE, ReportCache, document_report
from competency_kg.reporting.state import read_state
from competency_kg.reporting.store_report import assemble, focus_badges, store_report

__all__ = [
    "CACHE",
    "VALIDATION_LOCK",
    "ReportCache",
    "assemble",
    "document_report",
    "focus_badges",
    "read_state",
    "report_graph",
    "store_report",
    "version_drops",
]
