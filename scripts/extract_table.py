"""Draft extractor for the `column_table` layout (see scripts/_extract.py)."""

from _extract import main

if __name__ == "__main__":
    main("column_table")
