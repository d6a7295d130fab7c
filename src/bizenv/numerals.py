"""Chinese numerals as printed in outline labels (一, 十一, 二十九)."""

from __future__ import annotations

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_to_int(text: str) -> int:
    """Convert a Chinese numeral below 100 (一 .. 九十九) or ASCII digits to an int."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, units = text.partition("十")
        return (DIGITS[tens] if tens else 1) * 10 + (DIGITS[units] if units else 0)
    if len(text) == 1 and text in DIGITS:
        return DIGITS[text]
    raise ValueError(f"not a Chinese numeral below 100: {text!r}")


UNITS = {"十": 10, "百": 100, "千": 1000}
MYRIADS = {"万": 10_000, "亿": 100_000_000}


def cn_number(text: str) -> int:
    """Convert any Chinese numeral (三十六, 两, 一百零五, 十二万) or ASCII digits to an int."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    total = section = digit = 0
    seen = False
    for ch in text:
        if ch in DIGITS:
            digit, seen = DIGITS[ch], True
        elif ch in UNITS:
            section += (digit or 1) * UNITS[ch]
            digit, seen = 0, True
        elif ch in MYRIADS:
            total += (section + digit or 1) * MYRIADS[ch]
            section = digit = 0
            seen = True
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    if not seen:
        raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + section + digit
