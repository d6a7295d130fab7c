"""Draft extractor for the `inline_brackets` layout (see scripts/_extract.py)."""

from _extract import main

if __name__ == "__main__":
    main("inline_brackets")
