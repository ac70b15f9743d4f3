"""Issuing a case's documents and verifying them later.

- :mod:`mediation.issuing.numbering`: one numbering scheme, ``<case number>-XY`` …
- :mod:`mediation.issuing.service`: :func:`~mediation.issuing.service.issue_document` renders
  outside any transaction and stores the PDF through ``advance`` (an event on the case's hash
  chain); the draft agreement.
- :mod:`mediation.issuing.records`: find issued documents by number or by a file's SHA-256.
- :mod:`mediation.issuing.panel`: which documents a case has, expects and may be issued now.
- :mod:`mediation.issuing.urls`: the verification URL printed on (and QR-coded into) each PDF.
"""
