"""Draft extractors, one script per source layout (extract_table.py, extract_brackets.py,
extract_pdf_inline.py), all calling this one entry point:

    python scripts/extract_<layout>.py SOURCE_FILE DOCUMENT_ID OUT_FOLDER

The extractors live in the toolkit (bizenv.extract) so that `bizenv audit` can re-run
them; `bizenv extract DOCUMENT_ID` does the same for a document listed in documents.csv.
Drafts are never the corpus: curated rows in data/ are.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main(layout: str) -> None:
    from bizenv.extract import extract_file

    source, document_id, out = sys.argv[1:4]
    extract_file(Path(source), document_id, layout).write(Path(out))
