"""Draft extractor for the `inline_parentheses` layout: write draft rows for all tables of one source.

    python scripts/extract_pdf_inline.py SOURCE_FILE DOCUMENT_ID OUT_FOLDER

The extractor itself lives in the toolkit (bizenv.extract) so that `bizenv audit` can
re-run it; `bizenv extract DOCUMENT_ID` does the same for a document already listed in
documents.csv. Drafts are never the corpus: curated rows in data/ are.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bizenv.extract import extract_file  # noqa: E402

if __name__ == "__main__":
    source, document_id, out = sys.argv[1:4]
    extract_file(Path(source), document_id, "inline_parentheses").write(Path(out))
