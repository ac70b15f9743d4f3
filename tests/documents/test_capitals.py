"""Amounts in Chinese financial capitals and in figures: a table of known answers."""

from __future__ import annotations

import pytest

from documents.capitals import MAX_FEN, yuan_in_capitals, yuan_in_figures

#: (fen, capitals without the leading 人民币).
KNOWN: list[tuple[int, str]] = [
    # zero, fractions only
    (0, "零元整"),
    (1, "壹分"),
    (10, "壹角整"),
    (50, "伍角整"),
    (53, "伍角叁分"),
    (99, "玖角玖分"),
    # units, 壹拾 always written
    (100, "壹元整"),
    (305, "叁元零伍分"),
    (350, "叁元伍角整"),
    (1_000, "壹拾元整"),
    (1_050, "壹拾元伍角整"),
    (1_100, "壹拾壹元整"),
    (2_000, "贰拾元整"),
    (10_000, "壹佰元整"),
    (10_100, "壹佰零壹元整"),
    (11_000, "壹佰壹拾元整"),
    (32_504, "叁佰贰拾伍元零肆分"),
    (100_100, "壹仟零壹元整"),
    (101_000, "壹仟零壹拾元整"),
    (110_000, "壹仟壹佰元整"),
    (140_950, "壹仟肆佰零玖元伍角整"),
    (168_032, "壹仟陆佰捌拾元叁角贰分"),
    (600_714, "陆仟零柒元壹角肆分"),
    # 万 section
    (1_000_000, "壹万元整"),
    (1_000_100, "壹万零壹元整"),
    (1_001_000, "壹万零壹拾元整"),
    (1_010_000, "壹万零壹佰元整"),
    (1_100_000, "壹万壹仟元整"),
    (1_200_000, "壹万贰仟元整"),
    (1_230_050, "壹万贰仟叁佰元伍角整"),
    (1_640_902, "壹万陆仟肆佰零玖元零贰分"),
    (10_000_000, "壹拾万元整"),
    (10_700_000, "壹拾万柒仟元整"),
    (10_700_053, "壹拾万柒仟元伍角叁分"),
    (10_070_000, "壹拾万零柒佰元整"),
    (10_000_700, "壹拾万零柒元整"),
    (100_100_000, "壹佰万壹仟元整"),
    (100_010_000, "壹佰万零壹佰元整"),
    (1_000_000_000, "壹仟万元整"),
    (1_001_000_000, "壹仟零壹万元整"),
    (1_010_000_000, "壹仟零壹拾万元整"),
    (1_000_000_100, "壹仟万零壹元整"),
    (9_999_999_999, "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    # 亿 section, zeros across sections
    (10_000_000_000, "壹亿元整"),
    (10_000_000_100, "壹亿零壹元整"),
    (10_000_100_000, "壹亿零壹仟元整"),
    (10_001_000_000, "壹亿零壹万元整"),
    (10_010_000_000, "壹亿零壹拾万元整"),
    (10_100_000_000, "壹亿零壹佰万元整"),
    (11_000_000_000, "壹亿壹仟万元整"),
    (10_000_000_001, "壹亿元零壹分"),
    (12_345_678_900, "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元整"),
    (100_000_000_000, "壹拾亿元整"),
    (100_000_000_100, "壹拾亿零壹元整"),
    (100_100_100_100, "壹拾亿零壹佰万壹仟零壹元整"),
    (1_000_000_000_000, "壹佰亿元整"),
    (10_000_000_000_000, "壹仟亿元整"),
    (10_000_100_000_000, "壹仟亿零壹佰万元整"),
    (10_001_000_000_000, "壹仟亿壹仟万元整"),
    (10_010_000_000_000, "壹仟零壹亿元整"),
    (50_050_050_000_505, "伍仟零伍亿零伍拾万零伍元零伍分"),
    (MAX_FEN, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
]


@pytest.mark.parametrize(("fen", "expected"), KNOWN, ids=[str(f) for f, _ in KNOWN])
def test_yuan_in_capitals_known_amount_gives_the_bank_spelling(fen: int, expected: str) -> None:
    assert yuan_in_capitals(fen) == "人民币" + expected


def test_yuan_in_capitals_table_is_big_and_unique() -> None:
    assert len(KNOWN) >= 40
    assert len({fen for fen, _ in KNOWN}) == len(KNOWN)
    assert len({text for _, text in KNOWN}) == len(KNOWN)


@pytest.mark.parametrize("fen", [-1, -100, MAX_FEN + 1, 100_000_000_000_000])
def test_yuan_in_capitals_out_of_range_raises_value_error(fen: int) -> None:
    with pytest.raises(ValueError):
        yuan_in_capitals(fen)
    with pytest.raises(ValueError):
        yuan_in_figures(fen)


@pytest.mark.parametrize("value", [12.5, "100", True, None])
def test_yuan_in_capitals_non_integer_raises_type_error(value: object) -> None:
    with pytest.raises(TypeError):
        yuan_in_capitals(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fen", "expected"),
    [
        (0, "¥0.00"),
        (5, "¥0.05"),
        (1_200_000, "¥12,000.00"),
        (892_250, "¥8,922.50"),
        (MAX_FEN, "¥999,999,999,999.99"),
    ],
)
def test_yuan_in_figures_groups_thousands(fen: int, expected: str) -> None:
    assert yuan_in_figures(fen) == expected


def test_yuan_in_capitals_every_amount_ends_properly() -> None:
    # Whole yuan and 角 amounts end with 整, 分 amounts never do; every 零 sits between digits.
    for fen in range(0, 200_000, 7):
        text = yuan_in_capitals(fen)
        assert text.endswith("分") != text.endswith("整")
        assert "零零" not in text
        assert not text.removeprefix("人民币").startswith("零") or fen == 0
        assert "零元" not in text or fen == 0
