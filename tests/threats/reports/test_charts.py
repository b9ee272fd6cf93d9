"""The inline SVG charts (pure): scale, bars, and a CPUE line broken where there was no effort."""

from threats.reports import charts


def test_bars_scale_to_the_next_round_number():
    svg = charts.bar_chart(["01", "02"], [17_000, 8_500], title="Snares <found>")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and "Snares &lt;found&gt;" in svg
    assert ">20,000</text>" in svg and ">100,000</text>" not in svg
    assert svg.count("<rect ") == 2 and "<title>01: 17000</title>" in svg


def test_the_line_breaks_where_there_was_no_effort():
    svg = charts.line_chart(["01", "02", "03", "04"], [2.0, None, 3.0, 4.0], title="CPUE", gap_label="no effort")
    assert svg.count("<circle ") == 3
    assert svg.count("<polyline ") == 1  # 03-04 only: 01 stands alone, not joined across the gap
    assert "<title>02: no effort</title>" in svg
    assert charts.line_chart(["01"], [None], title="CPUE", gap_label="no effort").count("<circle") == 0
