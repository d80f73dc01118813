"""A worksheet written for a reader: the ``.xlsx`` workbook (drop-downs, the columns to fill shaded, text kept
text, byte-identical from run to run) and its CSV twins (formula-like text made inert), from the sheets
``worksheets.build`` makes.
"""

from __future__ import annotations

import io as _io
import re
import zipfile
from datetime import datetime

from ..ledger.contrib.read import ENUMS, FILLED, FORMULA_START, SHEETS, STAMP, arm_names, csv_text, extra_columns

# Room to type in the columns a reader fills (they start empty).
MIN_WIDTH = {"quote": 50, "current_evidence": 40, "source": 30, "locator": 18, "derivation": 14, "timepoint": 18,
             "citation": 30, "criteria": 30, **{c: 30 for c in ("d1_randomisation_support", "d2_deviations_support",
                                                                 "d3_missing_data_support", "d4_measurement_support",
                                                                 "d5_reporting_support", "overall_support")}}


def csv_twin(df):
    """A sheet as its CSV twin holds it: text that a spreadsheet program would read as a formula made inert
    (``ledger.contrib.read.csv_text``; the contribution reader undoes it)."""
    return df.map(csv_text)


FIXED_TIME = datetime(2000, 1, 1)  # a fixed timestamp inside the file: two runs give byte-identical workbooks


def to_xlsx(sheets, outcomes, spec=None):
    """The workbook as bytes: one sheet per worksheet table, drop-downs for every enumeration (lists on a hidden
    sheet; from the review's ``spec``: its arms by its labels, its own groupings on the membership sheet), the
    header frozen, the columns to fill shaded, readable column widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    wb.remove(wb.active)
    spec = spec or {}
    lists = {**ENUMS, **{(k, "outcome"): tuple(outcomes) for k in ("numbers", "figures", "proposals")},
             ("numbers", "arm"): tuple(arm_names(spec).values()),
             **{("membership", g): tuple(v["values"]) for g, v in spec.get("groupings", {}).items()}}
    hidden = wb.create_sheet("lists")
    ranges = {}
    for j, (key, values) in enumerate(sorted(lists.items()), start=1):
        col = get_column_letter(j)
        hidden.cell(row=1, column=j, value=f"{key[0]}.{key[1]}")
        for i, v in enumerate(values, start=2):
            hidden.cell(row=i, column=j, value=v)
        ranges[key] = f"lists!${col}$2:${col}${len(values) + 1}"
    hidden.sheet_state = "hidden"
    fill = PatternFill("solid", fgColor="FFF2CC")
    done = PatternFill("solid", fgColor="E2EFDA")
    for name in SHEETS:
        df = sheets[name]
        ws = wb.create_sheet(name, index=SHEETS.index(name))
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([v if v != "" else None for v in row])
        for cells in ws.iter_rows(min_row=2):
            for cell in cells:
                _as_text(cell)
        editable = set(FILLED.get(name, [])) | set(extra_columns(name, df.columns)) | (
            {"value"} if name == "readme" else set())
        if name == "published":
            editable = set(df.columns) - {"review", *STAMP}
        if name == "numbers":
            editable |= {"outcome", "timepoint", "time_days", "arm", "statistic", "measure", "scale", "source"}
        if name == "proposals":  # a reader may correct what was read (then it is their reading)
            editable |= {"outcome", "measure", "scale", "value"}
        last = max(len(df) + 1, 200)
        for j, col in enumerate(df.columns, start=1):
            letter = get_column_letter(j)
            head = ws.cell(row=1, column=j)
            head.font = Font(bold=True)
            if col in editable:
                head.fill = fill
                for i in range(2, len(df) + 2):
                    ws.cell(row=i, column=j).fill = fill
            if col == STAMP[0]:  # a row contributed in an earlier round: green, already in the ledger
                for i in (i for i, v in enumerate(df[col], start=2) if v):
                    for cell in ws[i]:
                        cell.fill = done
            width = max([len(col), MIN_WIDTH.get(col, 8)] + [len(v) for v in df[col]])
            ws.column_dimensions[letter].width = min(width, 60) + 2
            if (name, col) in ranges:
                dv = DataValidation(type="list", formula1=f"={ranges[(name, col)]}", allow_blank=True,
                                    showErrorMessage=True, errorTitle="Not allowed",
                                    error=f"{col}: choose a value from the list")
                dv.add(f"{letter}2:{letter}{last}")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
        if name == "readme":
            for cell in ws["B"]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.column_dimensions["B"].width = 110
    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.properties.creator = "ketamine_ma"
    buf = _io.BytesIO()
    wb.save(buf)
    return _deterministic_zip(buf.getvalue())


def _as_text(cell):
    """Text stays text: openpyxl stores a string that starts with '=' as a formula (and '#N/A' as an error), and a
    spreadsheet program re-reads one that starts with '=', '+', '-' or '@' as a formula once it is edited; the
    quote prefix keeps it text."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if cell.value[:1] in FORMULA_START:
            cell.quotePrefix = True


def _deterministic_zip(data):
    """Rewrite the .xlsx container with fixed timestamps: zip stores the time each entry was written, and
    openpyxl stamps the save time into docProps/core.xml whatever the workbook's properties say."""
    src = zipfile.ZipFile(_io.BytesIO(data))
    out = _io.BytesIO()
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\g<2>", body)
            dst.writestr(fixed, body)
    return out.getvalue()
