"""Synthetic competency frameworks and occupation overviews, in our model, at any size.

Each synthetic occupation gets the two documents real sources give: a competency-framework
export (levels × statements, :class:`FrameworkDocument`) and an occupation overview
(competency requirements at levels, prioritized lists, work scenarios, activities, tools,
certifications, job titles: :class:`OverviewDocument`). Both go through the loaders' own
mapping functions (``loaders/mapping.py``), so the triples have exactly the shapes a real load
produces and conform to the SHACL shapes.

Vocabulary is drawn with a skewed (Zipf-like) distribution, as in real data: a few competencies
and tools are named by most occupations (high-degree resources), most by a handful. Everything
is seeded: the same ``seed`` and size give the same triples.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef

from competency_kg.iris import Minter
from competency_kg.loaders.documents import (
    Activity,
    CompetencyDefinition,
    FrameworkDocument,
    FrameworkLevel,
    NamedItem,
    OverviewDocument,
    RankedEntry,
    RankedList,
    Scenario,
    ScenarioCompetency,
    SourceReference,
    Statement,
    UnplacedEntry,
)
from competency_kg.loaders.mapping import framework_to_graph, overview_to_graph

#: Changes whenever the generated triples would change (the data cache depends on it).
VERSION = "1"

DOMAINS = (
    "Cloud Infrastructure", "Clinical Laboratory", "Renewable Energy", "Cybersecurity",
    "Data Engineering", "Supply Chain", "Biomedical Equipment", "Network Operations",
    "Water Treatment", "Digital Marketing", "Industrial Automation", "Health Information",
    "Payroll", "Geospatial", "Food Safety", "Aviation Maintenance", "Quality Assurance",
    "Customer Success", "Construction Estimating", "Wind Turbine", "Pharmacy", "Logistics",
    "Machine Learning", "Environmental Compliance", "Telecommunications", "Court Reporting",
    "Hospitality", "Building Inspection", "Veterinary", "Fleet Management", "Audio Production",
    "Claims Processing", "Robotics", "Dental Laboratory", "Energy Auditing",
    "Records Management", "Mobile Application", "Semiconductor Processing",
    "Emergency Dispatch", "Insurance Underwriting", "Additive Manufacturing", "Patient Care",
    "Forensic Accounting", "Irrigation", "Museum Collections", "Rail Operations",
    "Solar Installation", "Instructional Design", "Procurement", "Site Reliability",
)  # fmt: skip
ROLES = (
    "Technicians", "Specialists", "Analysts", "Engineers", "Coordinators", "Managers",
    "Administrators", "Inspectors", "Developers", "Consultants", "Supervisors", "Assistants",
)  # fmt: skip
GRADES = ("", "Senior ", "Lead ", "Associate ", "Principal ", "Junior ")
TOPICS = (
    "Active Listening", "Customer Service", "IT/Hardware", "Troubleshooting", "Documentation",
    "Data Analysis", "Project Management", "Technical Writing", "Risk Assessment", "Scheduling",
    "Quality Control", "Budgeting", "Negotiation", "Team Leadership", "Regulatory Compliance",
    "Inventory Control", "Process Improvement", "Root Cause Analysis", "Statistical Modeling",
    "Network Security", "Database Administration", "Cloud Computing", "Scripting",
    "Systems Integration", "Vendor Management", "Incident Response", "Change Management",
    "Equipment Calibration", "Safety Procedures", "Preventive Maintenance", "Blueprint Reading",
    "Conflict Resolution", "Training Delivery", "Requirements Gathering", "User Support",
    "Data Visualization", "Report Writing", "Contract Review", "Patient Assessment",
    "Infection Control", "Laboratory Testing", "Sample Preparation", "Machine Operation",
    "Welding", "Electrical Wiring", "Hydraulics", "Pneumatics", "Soldering", "CAD Drafting",
    "GIS Mapping", "Financial Reporting", "Auditing", "Forecasting", "Market Research",
    "Public Speaking", "Time Management", "Critical Thinking", "Active Learning",
    "Mathematical Reasoning", "Written Communication", "Oral Communication", "Coordination",
    "Instructing", "Service Orientation", "Judgment and Decision Making", "Systems Analysis",
    "Operations Monitoring", "Quality Control Analysis", "Programming", "Software Testing",
    "Version Control", "Containerization", "Virtualization", "Backup and Recovery",
    "Access Management", "Encryption", "Threat Modeling", "Penetration Testing",
    "Log Analysis", "Performance Tuning", "Capacity Planning", "API Design", "Data Modeling",
    "ETL Pipelines", "Machine Learning", "Prompt Engineering", "Accessibility", "UX Research",
    "Procurement", "Logistics Planning", "Route Optimization", "Fleet Maintenance",
    "Food Handling", "Sanitation", "Customer Onboarding", "Sales Forecasting", "Cold Calling",
    "Account Management", "Grant Writing", "Records Retention", "Transcription", "Translation",
    "Ethics", "Privacy", "Workplace Safety", "First Aid", "Emergency Response",
    "Environmental Sampling", "Permitting", "Energy Modeling", "Load Calculation",
    "Solar Design", "Turbine Maintenance", "Pipe Fitting", "Surveying", "Estimating",
)  # fmt: skip
VERBS = (
    "Applies", "Diagnoses", "Documents", "Explains", "Monitors", "Configures", "Evaluates",
    "Coordinates", "Plans", "Reviews", "Resolves", "Designs", "Tests", "Maintains", "Reports",
    "Prioritizes", "Escalates", "Audits", "Automates", "Teaches",
)  # fmt: skip
OBJECTS = (
    "routine requests", "intermittent faults", "safety incidents", "customer complaints",
    "configuration changes", "quality deviations", "maintenance schedules", "access requests",
    "data discrepancies", "equipment failures", "process bottlenecks", "compliance gaps",
    "network outages", "inventory shortfalls", "budget variances", "training needs",
)  # fmt: skip
MANNERS = (
    "following standard procedures", "with minimal supervision", "using approved tools",
    "and records the outcome", "within agreed service levels", "across several teams",
    "under time pressure", "for unfamiliar systems", "and mentors others in doing so",
    "using data from several sources",
)  # fmt: skip
TOOLS = (
    "Microsoft Excel", "Microsoft Word", "Jira", "ServiceNow", "Wireshark", "Python", "SQL",
    "Tableau", "Power BI", "AutoCAD", "SAP", "Salesforce", "Git", "Docker", "Kubernetes",
    "Ansible", "Terraform", "Linux", "Windows Server", "Active Directory", "Splunk", "MATLAB",
    "R", "Oracle Database", "PostgreSQL", "Visio", "Slack", "Zoom", "Multimeter",
    "Oscilloscope", "Torque Wrench", "Forklift", "Barcode Scanner", "Spectrophotometer",
    "Centrifuge", "Infusion Pump", "QuickBooks", "ArcGIS", "Revit", "SolidWorks",
)  # fmt: skip
CERTIFICATIONS = (
    "CompTIA A+", "CompTIA Network+", "CompTIA Security+", "CISSP", "PMP", "ITIL Foundation",
    "AWS Certified Solutions Architect", "Certified Ethical Hacker", "OSHA 30",
    "Six Sigma Green Belt", "Certified Public Accountant", "Registered Nurse",
    "CPR and First Aid", "NABCEP PV Associate", "ASE Certification",
    "FAA Airframe and Powerplant", "ServSafe Manager", "Certified Scrum Master",
    "Google Data Analytics", "LEED Green Associate",
)  # fmt: skip
LEVEL_SETS = (
    (("emerging", "Emerging"), ("developing", "Developing"), ("proficient", "Proficient")),
    (("foundation", "Foundation"), ("intermediate", "Intermediate"), ("advanced", "Advanced"),
     ("expert", "Expert")),
    (("level-1", "Level 1"), ("level-2", "Level 2"), ("level-3", "Level 3"),
     ("level-4", "Level 4"), ("level-5", "Level 5")),
)  # fmt: skip
LIST_TYPES = (
    ("most-common-required", "Most Common Required"),
    ("most-common-break-point", "Most Common Break Point"),
    ("most-preferred", "Most Preferred"),
    ("most-hard-to-find", "Most Hard to Find"),
    ("most-evolving", "Most Evolving"),
    ("other-relevant", "Other Relevant"),
)
MAJOR_GROUPS = ("11", "13", "15", "17", "19", "21", "25", "27", "29", "41", "43", "47", "49", "51")


def _skewed(rng: random.Random, items: tuple[str, ...], k: int) -> list[str]:
    """``k`` distinct items, early ones far more likely (a Zipf-like popularity)."""
    k = min(k, len(items))
    chosen: dict[str, None] = {}
    while len(chosen) < k:
        i = min(int(rng.paretovariate(1.1)) - 1, len(items) - 1)
        chosen[items[i]] = None
        if rng.random() < 0.2:  # and some uniformly, so the long tail is used too
            chosen[rng.choice(items)] = None
    return list(chosen)[:k]


def _title(n: int) -> str:
    domain = DOMAINS[n % len(DOMAINS)]
    role = ROLES[(n // len(DOMAINS)) % len(ROLES)]
    grade = GRADES[(n // (len(DOMAINS) * len(ROLES))) % len(GRADES)]
    cycle = n // (len(DOMAINS) * len(ROLES) * len(GRADES))
    suffix = f" {cycle + 1}" if cycle else ""
    return f"{grade}{domain} {role}{suffix}"


def _soc(n: int) -> str:
    """A code in O*NET-SOC form that O*NET itself does not use (suffix .50–.99)."""
    major = MAJOR_GROUPS[n % len(MAJOR_GROUPS)]
    detail = 1000 + (n // len(MAJOR_GROUPS)) // 50 * 10
    return f"{major}-{detail:04d}.{50 + (n // len(MAJOR_GROUPS)) % 50:02d}"


def _action(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(MANNERS)}."


def framework_document(n: int, rng: random.Random) -> FrameworkDocument:
    title = _title(n)
    levels = LEVEL_SETS[n % len(LEVEL_SETS)]
    out_levels: list[FrameworkLevel] = []
    for lp, (key, label) in enumerate(levels, start=1):
        statements = []
        for sp, topic in enumerate(_skewed(rng, TOPICS, rng.randint(8, 22)), start=1):
            action = _action(rng)
            statements.append(
                Statement(
                    text=f"{topic} - {action}",
                    topic=topic,
                    action=action,
                    position=sp,
                    where=f"$.framework.levels.{key}.statements[{sp - 1}]",
                )
            )
        out_levels.append(FrameworkLevel(key, label, lp, statements, f"$.framework.levels.{key}"))
    version = f"v{24 + n % 3}.{n % 12:02d}"
    return FrameworkDocument(
        schema_version="1.2",
        exported_at=f"2025-{1 + n % 12:02d}-15T09:30:00Z",
        soc_code=_soc(n),
        title=title,
        group=title.rsplit(" ", 1)[0],
        sector=f"{MAJOR_GROUPS[n % len(MAJOR_GROUPS)]}",
        job_zone=1 + n % 5,
        job_zone_inferred=bool(n % 2),
        framework_version=version,
        framework_description=f"What {title.lower()} do at each level of proficiency.",
        context_covered="Entry to expert practice in workplaces of every size.",
        levels=out_levels,
        sources=[
            SourceReference("onet", "v29.2 (CC BY 4.0)", "$.sources.onet"),
            SourceReference("site", f"https://example.org/frameworks/{n}", "$.sources.site"),
        ],
        attribution="Synthetic benchmark data; CC BY 4.0.",
    )


def overview_document(n: int, rng: random.Random) -> OverviewDocument:
    title = _title(n) + " (overview)"
    line = iter(range(1, 100_000))

    def where() -> str:
        return f"line {next(line)}"

    comps = _skewed(rng, TOPICS, rng.randint(18, 32))
    prefixes = ("Basic ", "Intermediate ", "Advanced ", "")
    definitions = [
        CompetencyDefinition(
            wording=rng.choice(prefixes) + name,
            kind="foundational" if TOPICS.index(name) % 3 == 0 else "occupation-specific",
            definition=f"Ability to apply {name.lower()} at work.",
            where=where(),
        )
        for name in comps
    ]
    lists = []
    for kind in ("foundational", "occupation-specific"):
        pool = [d.wording for d in definitions if d.kind == kind] or [definitions[0].wording]
        for lt, heading in LIST_TYPES[: 3 if kind == "foundational" else 6]:
            k = min(len(pool), rng.randint(4, 8))
            entries = [
                RankedEntry(
                    wording=w,
                    text=f"Needed for {rng.choice(OBJECTS)}." if rng.random() < 0.6 else None,
                    rank=r,
                    where=where(),
                )
                for r, w in enumerate(rng.sample(pool, k), start=1)
            ]
            lists.append(RankedList(kind, lt, heading, entries, [], where()))  # type: ignore[arg-type]
    unplaced = [
        UnplacedEntry(
            RankedEntry(definitions[-1].wording, None, None, where()),
            definitions[-1].kind,
            ["most-preferred", "most-hard-to-find"],
        )
    ]
    activities = [
        [Activity(_action(rng), p, where()) for p in range(1, rng.randint(5, 8))]
        for _ in range(rng.randint(1, 2))
    ]
    scenarios = []
    for sp in range(1, rng.randint(3, 5) + 1):
        used = rng.sample(comps, min(len(comps), rng.randint(4, 7)))
        scenarios.append(
            Scenario(
                title=f"Scenario {sp}: {rng.choice(OBJECTS).capitalize()}",
                narrative=" ".join(_action(rng) for _ in range(3)),
                position=sp,
                competencies=[
                    ScenarioCompetency(rng.choice(prefixes) + c, cp, where())
                    for cp, c in enumerate(used, start=1)
                ],
                where=where(),
            )
        )

    def items(pool: tuple[str, ...], k: int) -> list[NamedItem]:
        return [NamedItem(x, p, where()) for p, x in enumerate(_skewed(rng, pool, k), start=1)]

    base_title = _title(n)
    job_titles = [
        NamedItem(f"{g}{base_title.rsplit(' ', 1)[0]} {r.rstrip('s')}", p, where())
        for p, (g, r) in enumerate(
            zip(("", "Senior ", "Junior ", "Lead "), rng.sample(ROLES, 4), strict=True), start=1
        )
    ]
    return OverviewDocument(
        title=title,
        where="line 1",
        competencies=definitions,
        job_description=f"{base_title} plan, carry out and check the work of their field.",
        activity_lists=activities,
        ranked_lists=lists,
        unplaced=unplaced,
        scenarios=scenarios,
        job_titles=job_titles,
        certifications=items(CERTIFICATIONS, rng.randint(2, 5)),
        tools=items(TOOLS, rng.randint(5, 12)),
    )


def occupation_graphs(n: int, minter: Minter, seed: int = 0) -> tuple[Graph, Graph]:
    """The framework graph and the overview graph of synthetic occupation ``n``."""
    rng = random.Random(f"{seed}:{n}")
    fw = framework_to_graph(
        framework_document(n, rng), minter, minter.source_document(f"synthetic-{n:05d}-framework")
    )
    ov = overview_to_graph(
        overview_document(n, rng), minter, minter.source_document(f"synthetic-{n:05d}-overview")
    )
    return fw, ov


def generate_graph(triples: int, minter: Minter | None = None, seed: int = 0) -> Graph:
    """One rdflib graph of at least ``triples`` triples (whole occupations), for tests."""
    minter = minter or Minter()
    g = Graph()
    n = 0
    while len(g) < triples:
        for part in occupation_graphs(n, minter, seed):
            g += part
        n += 1
    return g


@dataclass
class Batch:
    """One N-Triples file of synthetic data, bulk-loaded as one named graph."""

    graph: URIRef
    path: Path
    triples: int
    occupations: int


def write_batches(
    folder: Path,
    triples: int,
    minter: Minter,
    *,
    batch_triples: int = 100_000,
    seed: int = 0,
) -> Iterator[Batch]:
    """Write about ``triples`` synthetic triples as N-Triples files of ``batch_triples`` each.

    Each file stands for one export of many frameworks and overviews: one named graph
    (``{base}graph/synthetic-NNN``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    total, n, b = 0, 0, 0
    while total < triples:
        name = f"synthetic-{b:03d}"
        path = folder / f"{name}.nt"
        count = occ = 0
        with path.open("wb") as out:
            while count < batch_triples and total + count < triples:
                for part in occupation_graphs(n, minter, seed):
                    count += len(part)
                    out.write(part.serialize(format="nt", encoding="utf-8"))
                n += 1
                occ += 1
        total += count
        yield Batch(minter.source_graph(name), path, count, occ)
        b += 1
