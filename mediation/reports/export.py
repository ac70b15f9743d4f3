"""Export a report as files a spreadsheet opens: CSV (UTF-8 with BOM) and XLSX.

``csv``
    exactly what ``mediation report --format csv`` prints (the same columns, rows and
    amounts), preceded by a UTF-8 byte-order mark so that Excel reads the Chinese names right.
``xlsx``
    one sheet: a title, the period, the time of export (Beijing) and the unit, then the
    header row (:data:`HEADER_ROW`), one row per group and the ``total`` row (bold). The
    command line's columns come first, then ``accepted``, ``overdue``, ``outstanding_amount``
    and ``success_rate``. Amounts are numbers in yuan — written from integer fen as exact
    decimals, never floats — formatted with two decimals; the success rate is a number
    formatted as a percentage.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from mediation.clock import LOCAL_TZ
from mediation.reports.figures import COLUMNS, Report, ReportRow
from mediation.reports.render import render_csv

BOM: Final = "\ufeff"
CSV_MEDIA_TYPE: Final = "text/csv"
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: The columns of the XLSX sheet: the command line's, then the supervisors' extra figures.
XLSX_COLUMNS: Final = (*COLUMNS, "accepted", "overdue", "outstanding_amount", "success_rate")
AMOUNT_COLUMNS: Final = frozenset(
    {"claimed_amount", "agreed_amount", "paid_amount", "outstanding_amount"}
)
#: The row of the XLSX sheet that holds the column names (the groups follow it).
HEADER_ROW: Final = 6
AMOUNT_FORMAT: Final = "#,##0.00"
RATE_FORMAT: Final = "0.0%"

GROUPING_ZH: Final = {
    "level": "层级",
    "organization": "调解组织",
    "zone": "片区",
    "mediator": "调解员",
    "category": "争议类别",
}


def csv_bytes(report: Report) -> bytes:
    """Return the report as the command line's CSV, UTF-8 with a byte-order mark."""
    return (BOM + render_csv(report)).encode("utf-8")


def yuan(fen: int) -> Decimal:
    """Return fen as an exact decimal number of yuan: 892250 -> Decimal('8922.50')."""
    return Decimal(fen).scaleb(-2)


def _cells(row: ReportRow) -> list[Any]:
    permille = row.success_permille
    return [
        row.group,
        row.received,
        row.settled,
        row.failed,
        row.withdrawn,
        yuan(row.claimed_fen),
        yuan(row.agreed_fen),
        yuan(row.paid_fen),
        row.accepted,
        row.overdue,
        yuan(row.outstanding_fen),
        None if permille is None else Decimal(permille).scaleb(-3),
    ]


def xlsx_bytes(report: Report, *, exported_at: datetime) -> bytes:
    """Return the report as an XLSX workbook (see the module's documentation)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"by {report.by}"
    bold = Font(bold=True)
    sheet["A1"] = f"调解案件统计（按{GROUPING_ZH[report.by]}） Cases and amounts by {report.by}"
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = "统计期间 Period"
    sheet["B2"] = f"{report.date_from.isoformat()} 至 {report.date_to.isoformat()}"
    sheet["A3"] = "导出时间 Exported"
    local = exported_at.astimezone(LOCAL_TZ)
    sheet["B3"] = f"{local:%Y-%m-%d %H:%M:%S} (北京时间 Asia/Shanghai)"
    sheet["A4"] = "金额单位 Amounts"
    sheet["B4"] = "元 yuan"
    for column, name in enumerate(XLSX_COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=name)
        cell.font = bold
    rows = [*report.rows, report.total]
    for offset, row in enumerate(rows, start=1):
        for column, (name, value) in enumerate(zip(XLSX_COLUMNS, _cells(row), strict=True), 1):
            cell = sheet.cell(row=HEADER_ROW + offset, column=column, value=value)
            if name in AMOUNT_COLUMNS:
                cell.number_format = AMOUNT_FORMAT
            elif name == "success_rate":
                cell.number_format = RATE_FORMAT
            if row is report.total:
                cell.font = bold
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=2)
    sheet.column_dimensions["A"].width = 30
    for column in range(2, len(XLSX_COLUMNS) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 16
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_filename(report: Report, extension: str) -> str:
    """Return the download name: ``report-level-2024-01-01-2024-03-31.xlsx``."""
    return (
        f"report-{report.by}-{report.date_from.isoformat()}-{report.date_to.isoformat()}"
        f".{extension}"
    )
