"""Names as typed in Vietnam: folded without diacritics, ordered by the given name."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ledger.register.folding import child_search_text, fold, name_order, query_words


def test_a_name_is_folded_without_diacritics_in_lower_case():
    assert fold("Nguyễn  Thị HOA") == "nguyen thi hoa"
    assert fold("ĐẶNG Đức Được") == "dang duc duoc"
    assert fold("Hồ Thị Thủy") == fold("Ho Thi Thuy") == "ho thi thuy"


def test_a_phone_typed_with_spaces_is_one_word_and_a_name_many():
    assert query_words(" 0912 345 678 ") == ["0912345678"]
    assert query_words("+84 912.345.678") == ["84912345678"]
    assert query_words("nguyễn  thị hoa") == ["nguyen", "thi", "hoa"]
    assert query_words("   ") == []


def test_a_child_is_found_by_code_name_and_guardians_phone():
    assert child_search_text("C-000123", "Lê Thị Hoa", "0912 345 678") == "c-000123 le thi hoa 0912345678"


def test_children_are_ordered_by_their_given_name_then_the_whole_name():
    names = ["Nguyễn Thị Hoa", "Bùi Văn Anh", "Đặng Thị Hoa", "Trần Bảo Ân"]
    assert sorted(names, key=name_order) == ["Trần Bảo Ân", "Bùi Văn Anh", "Đặng Thị Hoa", "Nguyễn Thị Hoa"]


@given(st.text(max_size=60))
def test_folding_twice_changes_nothing(text):
    assert fold(fold(text)) == fold(text)
