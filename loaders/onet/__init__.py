"""An O*NET database release folder (text or Excel format) → N-Triples, streamed.

A release is a folder with ``Read Me.txt`` and O*NET's files (``Occupation Data.txt``, ``Task
Statements.txt`` … or their ``.xlsx`` twins). Every file is read by its header names, never by
column position, so another release's files (columns added, reordered) load as well; a file a
release lacks is skipped and said so. What the files say becomes triples under the ckg:
ontology, written line by line to an N-Triples file that the store bulk-loads — the whole
release (millions of triples) never sits in one rdflib graph.

Model (IRIs under the configurable base):

- occupations ``occupation/15-1252.00`` (ckg:Occupation, skos:notation the code), placed in the
  SOC hierarchy derived from the code's digits: detailed occupation ``soc/15-1252`` → broad
  occupation ``soc/15-1250`` → minor group ``soc/15-1200`` → major group ``soc/15-0000``
  (ckg:SocGroup, skos:broader);
- Content Model elements ``onet/element/2.A.1.b`` (ckg:ContentModelElement in the scheme
  ``onet/content-model``; skills, knowledge and abilities are ckg:Competency, work activities
  with their IWAs and DWAs ckg:WorkActivity);
- tasks ``occupation/{code}/task/{id}`` (ckg:Task, core or supplemental, with their DWAs);
- technologies ``onet/technology/{name}`` and tools ``onet/tool/{name}`` (ckg:Tool) filed under
  UNSPSC commodities ``unspsc/43232202`` (ckg:ProductCategory, up to the segment), linked with
  ckg:usesTechnology / ckg:hotTechnology / ckg:usesEquipment;
- alternate and reported titles as ckg:JobTitle (``job-title/{name}``, shared with other
  sources) via ckg:alternateTitle / ckg:reportedTitle;
- job zones ``onet/job-zone/4``, related occupations (ckg:OccupationRelation with tier and rank);
- ratings: ``occupation/{code}/rating/{element}`` (ckg:ElementRating with ckg:importance and
  ckg:level) and one ckg:Measurement per row and scale (and category) with N, standard error,
  confidence bounds, suppression flags, date and domain source.

Validation (see :mod:`.release`): row checks over every row while writing (codes, numbers,
references between files, values within their scale) plus pySHACL over slices — every triple
of a few occupations chosen evenly over the release, of the reference resources they use, and
of a regular sample of the other reference resources — since pySHACL over millions of triples
would take hours.
"""
