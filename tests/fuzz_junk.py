"""Junk shared by the fuzz tests of the web forms and of the command line."""

from __future__ import annotations

import io

from documents.marks import NUMBER_KEY, VERSION_KEY


def marked_pdf(number: str, version: str) -> bytes:
    """A one-page PDF whose metadata claim to be issued document ``number``, ``version``.

    What a forger (or a damaged file) could upload: the marks are read back before the
    database is asked about the number, so junk in them must not reach the query.
    """
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    writer.add_metadata({NUMBER_KEY: number, VERSION_KEY: version})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
