"""An amount of đồng in words, as a payment list ends ("Bằng chữ: Bảy triệu năm trăm nghìn đồng").

Vietnamese reads a number in groups of three digits (nghìn, triệu, tỷ, then nghìn tỷ…): a group
below the first says its hundreds even when they are none ("không trăm"), a zero ten before a
unit is "lẻ" (105: một trăm lẻ năm), ten is "mười", a one after twenty and beyond is "mốt" and a
five after ten is "lăm" (21: hai mươi mốt, 15: mười lăm); a group of zeros is not read.
"""

from __future__ import annotations

DIGITS_VI = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
GROUPS_VI = ("", "nghìn", "triệu", "tỷ")
DIGITS_EN = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
             "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")  # fmt: skip
TENS_EN = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
GROUPS_EN = ("", "thousand", "million", "billion", "trillion", "quadrillion")


def in_words(amount: int, lang: str = "vi") -> str:
    """``7_500_000`` → "Bảy triệu năm trăm nghìn đồng" (or "Seven million five hundred thousand đồng")."""
    sign = ("âm " if lang == "vi" else "minus ") if amount < 0 else ""
    words = sign + _words(abs(amount), lang)
    return f"{words[0].upper()}{words[1:]} đồng"


def _words(amount: int, lang: str) -> str:
    if amount == 0:
        return "không" if lang == "vi" else "zero"
    groups = []
    while amount:
        amount, group = divmod(amount, 1000)
        groups.append(group)
    read = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        leading = index == len(groups) - 1
        said = _group_vi(group, leading) if lang == "vi" else _group_en(group)
        read.append(f"{said} {_scale(index, lang)}".strip())
    return " ".join(read)


def _scale(index: int, lang: str) -> str:
    """The name of the index-th group of three digits: nghìn, triệu, tỷ, nghìn tỷ, triệu tỷ, tỷ tỷ…"""
    if lang != "vi":
        return GROUPS_EN[index]
    if index < 4:
        return GROUPS_VI[index]
    return f"{_scale(index - 3, lang)} tỷ".strip()


def _group_vi(group: int, leading: bool) -> str:
    hundreds, rest = divmod(group, 100)
    tens, units = divmod(rest, 10)
    words = []
    if hundreds or not leading:
        words += [DIGITS_VI[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("lẻ")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS_VI[tens], "mươi"]
    if units:
        if units == 1 and tens > 1:
            words.append("mốt")
        elif units == 5 and tens > 0:
            words.append("lăm")
        else:
            words.append(DIGITS_VI[units])
    return " ".join(words)


def _group_en(group: int) -> str:
    hundreds, rest = divmod(group, 100)
    words = [f"{DIGITS_EN[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        tens, units = divmod(rest, 10)
        words.append(TENS_EN[tens] + (f"-{DIGITS_EN[units]}" if units else ""))
    elif rest:
        words.append(DIGITS_EN[rest])
    return " ".join(words)
