import pytest

from magda_kbi.insz import is_elf_cijfers, is_testnummer, modulo97_geldig


@pytest.mark.parametrize("insz", ["98630499724", "86630100380", "06721400144", "59650153166"])
def test_persona_numbers_are_valid_test_numbers(insz):
    assert modulo97_geldig(insz)
    assert is_testnummer(insz)


def test_born_from_2000_uses_the_2_prefix():
    # 06721400144: born 2006, check digits computed over 2 + first nine digits
    assert (97 - (2_000_000_000 + 67214001) % 97) == 44
    assert modulo97_geldig("06721400144")


@pytest.mark.parametrize(
    "insz",
    ["98630499725", "9863049972", "986304997240", "9863O499724", "", "٩٨٦٣٠٤٩٩٧٢٤"],
)
def test_invalid_numbers(insz):
    assert not modulo97_geldig(insz)


def test_non_ascii_digits_are_not_digits():
    assert not is_elf_cijfers("٩٨٦٣٠٤٩٩٧٢٤")


def test_a_real_month_is_not_a_test_number():
    # 85073003328 is modulo-97 valid (month 07): it could be a real person
    assert modulo97_geldig("85073003328")
    assert not is_testnummer("85073003328")
