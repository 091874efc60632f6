"""alexnet.units: one convention for counts, bytes, durations and shapes (decimal SI prefixes)."""

from alexnet.units import format_bytes, format_count, format_duration, format_mult_adds, shape_text


def test_counts_and_mult_adds_use_decimal_prefixes():
    assert format_count(62_378_344) == "62.4 M"
    assert format_count(999) == "999"
    assert format_count(1_500) == "1.5 k"
    assert format_mult_adds(1_135_915_368) == "1.14 GMac"
    assert format_mult_adds(12) == "12 Mac"


def test_bytes_use_the_same_decimal_prefixes_as_counts():
    assert format_bytes(255_405_964) == "255.4 MB"
    assert format_bytes(262_447_140_768) == "262.4 GB"
    assert format_bytes(1_000) == "1.0 kB"
    assert format_bytes(512) == "512 bytes"


def test_durations_read_as_people_say_them():
    assert format_duration(None) == "-"
    assert format_duration(9.6) == "10 s"
    assert format_duration(75) == "1 min 15 s"
    assert format_duration(3_700) == "1 h 1 min"
    assert format_duration(3 * 3600 + 120) == "3 h 2 min"


def test_one_shape_formatter_for_pages_and_command_line():
    assert shape_text((96, 55, 55)) == "96×55×55"
    assert shape_text(None) == shape_text(()) == "–"
