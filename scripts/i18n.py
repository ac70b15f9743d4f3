"""Keep the zh_CN catalog complete: extract, merge, fill from pending JSON, compile.

    .venv/bin/python scripts/i18n.py            # extract + update + fill + compile
    .venv/bin/python scripts/i18n.py --compile  # only compile .po to .mo (setup does this)

Message ids are English; ``mediation/translations/zh_Hans_CN/LC_MESSAGES/messages.po`` holds
the Chinese (Babel spells the interface's ``zh_CN`` as ``zh_Hans_CN``, and gettext looks the
catalog up under that name). Translations waiting to be merged may be dropped into
``mediation/translations/pending/*.json`` (msgid → Chinese); they fill empty entries.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "mediation" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
CATALOG_LOCALE = "zh_Hans_CN"
LOCALES = (CATALOG_LOCALE,)
KEYWORDS = ["-k", "_l", "-k", "N_", "-k", "lazy_gettext"]


def pybabel(*args: str) -> None:
    """Run a pybabel command from the project's virtualenv."""
    binary = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(binary), "-q", *args], check=True, cwd=ROOT)


def extract() -> None:
    """Collect every message id of the code and templates into the template catalog."""
    pybabel(
        "extract",
        "-F",
        "babel.cfg",
        *KEYWORDS,
        "--no-location",
        "--sort-output",
        "--omit-header",
        "-o",
        str(TEMPLATE),
        ".",
    )


def update() -> None:
    """Merge the template into each locale's catalog, keeping existing translations."""
    for locale in LOCALES:
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if po.exists():
            pybabel(
                "update",
                "-i",
                str(TEMPLATE),
                "-d",
                str(TRANSLATIONS),
                "-l",
                locale,
                "--no-fuzzy-matching",
                "--omit-header",
                "--ignore-obsolete",
            )
        else:
            pybabel("init", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "-l", locale)


def fill_from_pending() -> None:
    """Fill empty zh_CN entries from ``pending/*.json``."""
    pending: dict[str, str] = {}
    for path in sorted((TRANSLATIONS / "pending").glob("*.json")):
        pending.update(json.loads(path.read_text(encoding="utf-8")))
    po_path = TRANSLATIONS / CATALOG_LOCALE / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=CATALOG_LOCALE)
    for message in catalog:
        if message.id and not message.string and isinstance(message.id, str):
            message.string = pending.get(message.id, "")
    with po_path.open("wb") as handle:
        write_po(handle, catalog, omit_header=True, sort_output=True, no_location=True)


def compile_catalogs() -> None:
    """Write the binary .mo next to each .po."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        with po_path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)


def missing() -> list[str]:
    """Return the message ids without a Chinese translation."""
    with (TRANSLATIONS / CATALOG_LOCALE / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    return [str(m.id) for m in catalog if m.id and not m.string]


def main() -> int:
    """Run the steps asked for; report untranslated messages."""
    if "--compile" in sys.argv:
        compile_catalogs()
        return 0
    extract()
    update()
    fill_from_pending()
    compile_catalogs()
    untranslated = missing()
    for msgid in untranslated:
        print(f"untranslated: {msgid}")
    print(f"{len(untranslated)} untranslated message(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
