"""The documents a mediation organisation issues for a case, rendered to PDF.

- :mod:`documents.capitals`: amounts in figures and in Chinese financial capitals.
- :mod:`documents.context`: the kinds of document and the plain data each one prints.
- :mod:`documents.render`: HTML from the templates, then PDF (the only WeasyPrint import),
  and the check that this machine has the fonts and libraries the documents need.

This package knows nothing of Flask or the database: ``mediation.cases.document_data``
reads a case into a context, and the caller renders it.
"""
