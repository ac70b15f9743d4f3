"""The documents a mediation organisation issues for a case, rendered to PDF.

- :mod:`documents.capitals`: amounts in figures and in Chinese financial capitals.
- :mod:`documents.context`: the kinds of document and the plain data each one prints,
  the archive bundle's included.
- :mod:`documents.marks`: how an issued copy is marked (:class:`~documents.marks.IssueMarks`:
  number, version, verification URL and QR code, content digest) and how the number and
  version are read back from a PDF's metadata (:func:`~documents.marks.read_marks`).
- :mod:`documents.render`: HTML from the templates, then PDF (the only WeasyPrint import) —
  issued, draft or plain — and the check that this machine has the fonts and libraries the
  documents need.
- :mod:`documents.archive`: the archive bundle (案卷) as PDF/A-3b, with the issued PDFs and
  the JSON case file embedded as associated files.

This package knows nothing of Flask or the database: ``mediation.cases.document_data``
reads a case into a context, and the caller renders it.
"""
