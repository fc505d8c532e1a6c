import pytest

from magda_kbi.domain.insz import is_eleven_digits, is_test_number, modulo97_valid


@pytest.mark.parametrize("insz", ["98630499724", "86630100380", "06721400144", "59650153166"])
def test_persona_numbers_are_valid_test_numbers(insz):
    assert modulo97_valid(insz)
    assert is_test_number(insz)


def test_born_from_2000_uses_the_2_prefix():
    # 06721400144: born 2006, check digits computed over 2 + first nine digits
    assert (97 - (2_000_000_000 + 67214001) % 97) == 44
    assert modulo97_valid("06721400144")


@pytest.mark.parametrize(
    "insz",
    ["98630499725", "9863049972", "986304997240", "9863O499724", "", "٩٨٦٣٠٤٩٩٧٢٤"],
)
def test_invalid_numbers(insz):
    assert not modulo97_valid(insz)


def test_non_ascii_digits_are_not_digits():
    assert not is_eleven_digits("٩٨٦٣٠٤٩٩٧٢٤")


def test_a_real_month_is_not_a_test_number():
    # 85073003328 is modulo-97 valid (month 07): it could be a real person
    assert modulo97_valid("85073003328")
    assert not is_test_number("85073003328")


def test_new_test_numbers_follow_birth_date_and_sex():
    from datetime import date

    from magda_kbi.domain.insz import new_test_numbers

    numbers = new_test_numbers(20, date(1990, 5, 13), "F", taken={"90651300000"})
    assert len(set(numbers)) == 20
    for number in numbers:
        assert is_test_number(number)
        assert number[:6] == "906513"  # 1990, month 05 + 60, day 13
        assert int(number[6:9]) % 2 == 0  # even sequence: a woman
    mannen = new_test_numbers(5, date(2004, 1, 2), "M")
    assert all(n[:6] == "046102" and int(n[6:9]) % 2 == 1 and is_test_number(n) for n in mannen)


def test_a_birth_year_an_insz_cannot_hold_is_refused():
    """Two year digits, and the check digits say 19xx or 20xx: 1800 came out as a number of
    someone born in 1900 (00610132473), 2999 as one born in 1999 or 2099."""
    from datetime import date

    from magda_kbi.domain.insz import make_test_number

    for year in (1899, 1800, 2100, 2999):
        with pytest.raises(ValueError, match=f"from 1900 to 2099, not {year}"):
            make_test_number(date(year, 1, 1), 1)
    assert make_test_number(date(1900, 1, 1), 1)[:6] == "006101"
    assert make_test_number(date(2099, 12, 31), 1)[:6] == "997231"


def test_what_is_wrong_and_the_nearest_test_number():
    from magda_kbi.domain.insz import nearest_test_number, why_not_a_test_number

    assert why_not_a_test_number("98630499724") is None
    assert why_not_a_test_number("9863049972") == "'9863049972' is not 11 digits"
    # anything else is repeated up to 24 characters, with its length
    assert why_not_a_test_number("12" * 1000) == (
        "'121212121212121212121212'... (2000 characters) is not 11 digits"
    )
    # check digits: 97 - 856720123 % 97 = 76
    assert why_not_a_test_number("85672012345") == (
        "the check digits are 45; modulo 97 asks for 76 (born before 2000) or 08 (born from "
        "2000 on)"
    )
    assert nearest_test_number("85672012345") == "85672012376"
    # 85052012330 is modulo-97 valid but month 05 is a real month: the test month is 65
    assert why_not_a_test_number("85052012330").startswith("the month digits are 05")
    assert nearest_test_number("85052012330") == "85652012362"
    assert nearest_test_number("abc") is None


def test_more_numbers_than_a_birth_date_has_are_refused_at_once():
    """A birth date has 998 test numbers (sequence 001-998), 499 of each sex: asking for more
    searched a thousand draws per number before giving up (999 took 7 s, 5,000 over a minute);
    now it says how many there are. All of them can be had."""
    from datetime import date

    from magda_kbi.domain.insz import new_test_numbers

    day = date(1990, 5, 13)
    with pytest.raises(ValueError) as refused:
        new_test_numbers(999, day)
    assert str(refused.value) == (
        "a birth date has 998 test numbers: ask for at most 998, or leave out the birth date"
    )
    with pytest.raises(ValueError) as refused:
        new_test_numbers(500, day, "F")
    assert str(refused.value) == (
        "a birth date has 499 test numbers of one sex: ask for at most 499,"
        " or leave out the birth date"
    )
    assert len(set(new_test_numbers(998, day))) == 998
    women = new_test_numbers(499, day, "F")
    assert len(set(women)) == 499 and all(int(n[6:9]) % 2 == 0 for n in women)


def test_ten_digits_that_lost_their_first_0_are_told_the_insz():
    """A spreadsheet reads 06721400144 (born 2006) as the number 6721400144."""
    from magda_kbi.domain.insz import nearest_test_number, why_not_a_test_number, with_first_zero

    assert with_first_zero("6721400144") == "06721400144"
    assert with_first_zero("7368059978") is None  # 07368059978 fails modulo 97
    assert with_first_zero("67214001") is None
    assert why_not_a_test_number("6721400144") == (
        "'6721400144' is not 11 digits; a spreadsheet drops a number's first 0: did you mean"
        " 06721400144?"
    )
    assert why_not_a_test_number("7368059978") == "'7368059978' is not 11 digits"
    assert nearest_test_number("6721400144") == "06721400144"
    assert nearest_test_number("7368059978") is None
