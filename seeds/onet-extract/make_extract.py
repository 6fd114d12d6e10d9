"""Make this extract again from a full O*NET release: ``python make_extract.py ONET_DIR``.

Keeps the rows of the occupations in ``CODES`` (related occupations: both ends among them), the
reference rows they use (UNSPSC commodities, DWAs and IWAs), and the small reference files whole;
every file keeps its name and header. The Excel ratings are written again with openpyxl, header
and cell types as in the original. Run from this folder; it overwrites the files here.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CODES = {
    "15-1231.00",  # Computer Network Support Specialists
    "15-1232.00",  # Computer User Support Specialists (the seed overview's occupation)
    "15-1244.00",  # Network and Computer Systems Administrators
    "15-1299.00",  # Computer Occupations, All Other (the seed framework's occupation)
    "15-1299.08",  # Computer Systems Engineers/Architects
}
BY_OCCUPATION = [
    "Occupation Data.txt",
    "Job Zones.txt",
    "Alternate Titles.txt",
    "Sample of Reported Titles.txt",
    "Task Statements.txt",
    "Tasks to DWAs.txt",
    "Technology Skills.txt",
    "Tools Used.txt",
    "Education, Training, and Experience.txt",
]
WHOLE = [
    "Read Me.txt",
    "Content Model Reference.txt",
    "Scales Reference.txt",
    "Job Zone Reference.txt",
    "Education, Training, and Experience Categories.txt",
]


def rows(path: Path) -> tuple[str, list[list[str]]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0], [ln.split("\t") for ln in lines[1:]]


def write(path: Path, header: str, kept: list[list[str]]) -> None:
    path.write_text("\n".join([header, *("\t".join(r) for r in kept)]) + "\n", encoding="utf-8")


def main(source: Path) -> None:
    for name in WHOLE:
        shutil.copyfile(source / name, HERE / name)
    for name in BY_OCCUPATION:
        header, data = rows(source / name)
        write(HERE / name, header, [r for r in data if r[0] in CODES])
    header, data = rows(source / "Related Occupations.txt")
    write(HERE / "Related Occupations.txt", header, [r for r in data if {r[0], r[1]} <= CODES])
    commodities = {
        r[2] for name in ("Technology Skills.txt", "Tools Used.txt") for r in rows(HERE / name)[1]
    }
    header, data = rows(source / "UNSPSC Reference.txt")
    write(HERE / "UNSPSC Reference.txt", header, [r for r in data if r[0] in commodities])
    dwas = {r[2] for r in rows(HERE / "Tasks to DWAs.txt")[1]}
    header, data = rows(source / "DWA Reference.txt")
    kept = [r for r in data if r[2] in dwas]
    write(HERE / "DWA Reference.txt", header, kept)
    iwas = {r[1] for r in kept}
    header, data = rows(source / "IWA Reference.txt")
    write(HERE / "IWA Reference.txt", header, [r for r in data if r[1] in iwas])

    import openpyxl

    excel_in, excel_out = source / "excel-29.2", HERE / "excel-29.2"
    excel_out.mkdir(exist_ok=True)
    shutil.copyfile(excel_in / "Read Me.txt", excel_out / "Read Me.txt")
    for name in ("Skills.xlsx", "Knowledge.xlsx"):
        wb = openpyxl.load_workbook(excel_in / name, read_only=True)
        ws = wb.worksheets[0]
        out = openpyxl.Workbook()
        sheet = out.active
        sheet.title = ws.title
        for n, row in enumerate(ws.iter_rows(values_only=True)):
            if n == 0 or row[0] in CODES:
                sheet.append(list(row))
        wb.close()
        out.save(excel_out / name)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
