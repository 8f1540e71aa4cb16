"""The HTML pieces reports are made of (numbers are written by alignlib.format: test_format)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alignlib import display


@pytest.mark.parametrize(
    ("column", "values", "kind"),
    [
        ("conversion_rate", [0.3, 0.5], "pct1"),
        ("p_hit", [0.2], "pct"),
        ("budget", [1.5, 2.0], "money"),
        ("cost_per_lead", [92.5], "money"),
        ("coverage", [3.0], "ratio"),
        ("median_days", [3.2], "days"),
        ("required", [10, 20], "count"),
        ("leads", [10.0, 20.0], "count"),
        ("score", [0.5], "number"),
        ("label", ["a"], "text"),
    ],
)
def test_guess_kind(column, values, kind) -> None:
    assert display.guess_kind(column, pd.Series(values)) == kind


def test_table_formats_without_changing_the_numbers() -> None:
    frame = pd.DataFrame(
        {"label": ["Lead", "Won"], "conversion_rate": [0.3, np.nan], "required": [7513, 100]},
        index=pd.Index(["lead", "won"], name="stage"),
    )
    html = display.table(frame, caption="Plan <1>", labels={"label": "Stage"}).to_html()
    assert "30.0%" in html and "7,513" in html and "—" in html
    assert "Plan &lt;1&gt;" in html  # caption escaped
    assert ">Stage<" in html and ">Conversion rate<" in html
    assert frame.loc["lead", "required"] == 7513  # the frame itself is untouched


def test_table_highlight_and_hidden_index() -> None:
    frame = pd.DataFrame({"reps_short": [0, 2]})
    html = display.table(frame, index=False, highlight={"reps_short": lambda v: v > 0}).to_html()
    assert html.count("color: #c53030") == 1


def test_callouts_escape_text_and_check_kind() -> None:
    html = display.callout_html("<b>3x</b> is low", "warning", title="Coverage")
    assert "&lt;b&gt;3x&lt;/b&gt;" in html and "<strong>Coverage</strong>" in html
    with pytest.raises(ValueError, match="unknown callout kind"):
        display.callout_html("x", "loud")
    none = display.flags([], none_message="all clear").data
    assert "all clear" in none
    assert display.flags([], none_message=None).data == ""
    mixed = display.flags(["plain", ("danger", "bad")]).data
    assert "#fffaf0" in mixed and "#fff5f5" in mixed


def test_key_figures_label_and_format_known_figures() -> None:
    html = display.key_figures_html(
        {"target": 2_400_000, "p_hit": 0.62, "required_leads": 7513, "currency": "USD"}
    )
    assert "Bookings target" in html and "$2,400,000" in html
    assert "62%" in html and "7,513" in html and "USD" not in html


def test_stage_definitions_table() -> None:
    class Stage:
        def __init__(self, name, owner):
            self.name, self.label, self.owner = name, name.upper(), owner
            self.definition, self.entry_criteria = f"{name} def", "<criteria>"

    html = display.stage_definitions([Stage("lead", "marketing"), Stage("sql", "sales")]).data
    assert "1. LEAD" in html and "2. SQL" in html
    assert "&lt;criteria&gt;" in html and "Marketing" in html and "Sales" in html


def test_heading_has_an_id_for_the_contents() -> None:
    assert display.heading("Fast routing (SAL → SQL)").data == (
        '<h2 id="Fast-routing-SAL-SQL">Fast routing (SAL → SQL)</h2>'
    )


def test_show_embeds_png_with_title_as_alt(monkeypatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    fig, ax = plt.subplots()
    ax.set_title("Budget by channel")
    display.show(fig)
    assert shown[0].format == "png" and shown[0].data[:4] == b"\x89PNG"
    assert shown[0]._repr_png_()[1] == {"alt": "Budget by channel"}
    assert not plt.fignum_exists(fig.number)  # closed: no second inline copy


HOSTILE = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
)


@pytest.mark.parametrize("text", HOSTILE)
def test_table_escapes_values_labels_index_names_and_caption(text) -> None:
    frame = pd.DataFrame(
        {"channel": [text, "ok"], text: [0.1, 0.2], "p_value": [0.00001, 0.5]},
        index=pd.Index([text, "b"], name=text),
    )
    frame.columns.name = text
    page = display.table(frame, caption=text, labels={"p_value": f"{text}!"}).to_html()
    assert "<img" not in page and "<script" not in page and "<svg" not in page
    # caption, header, index name, columns name, cell, label: all there, as text
    assert page.count("alert(1)") >= 6
    # formatted text is escaped once, after formatting (so a p-value like "<0.001" reads right)
    assert "&amp;lt;" not in page


def test_every_html_helper_escapes_its_text() -> None:
    from types import SimpleNamespace

    for text in HOSTILE:
        stage = SimpleNamespace(
            name="x", label=text, owner=text, definition=text, entry_criteria=text
        )
        parts = [
            display.callout_html(text, "info", title=text),
            display.flags([text, ("danger", text)]).data,
            display.stage_definitions([stage]).data,
            display.note(text).data,
            display.heading(text).data,
            display.key_figures_html({text: text}),
        ]
        for part in parts:
            assert "<img" not in part and "<script" not in part and "<svg" not in part, part
            assert html_escape(text) in part


def html_escape(text: str) -> str:
    import html

    return html.escape(text)


def test_counts_to_a_date_and_plan_volumes_never_read_as_percentages_or_fractions() -> None:
    """Actual to plan counts ("436100.0%" once) and fractional leads ("742.40")."""
    frame = pd.DataFrame(
        {
            "plan_total": [4361.0, 120.0],
            "plan_to_date": [4743.0, 98.0],
            "actual_to_date": [4512.0, 101.0],
            "variance_to_date": [-231.0, 3.0],
            "pacing_vs_plan": [0.951, 1.03],
            "leads": [742.4, 284.81],
            "mql": [742.4, 284.81],
            "mql_to_sal": [0.571, 0.5],
        },
        index=pd.Index(["lead", "won"], name="stage"),
    )
    page = display.table(frame).to_html()
    for text in ("4,361", "4,743", "4,512", "-231", "95.1%", "742", "285", "57.1%"):
        assert f">{text}<" in page, text
    assert "436100" not in page and "742.40" not in page and "284.81" not in page


def test_a_column_says_what_its_missing_cells_mean():
    """Issue 20: an amount the export does not give reads "not in the export", never $0."""
    import pandas as pd

    from alignlib import display
    from alignlib.format import NOT_IN_EXPORT

    frame = pd.DataFrame({"won": [3, 0], "avg_won_deal": [float("nan"), 1200.0]}, index=["a", "b"])
    html = display.table(frame, missing={"avg_won_deal": NOT_IN_EXPORT}).to_html()
    assert html.count(NOT_IN_EXPORT) == 1 and "1,200" in html
    assert NOT_IN_EXPORT not in display.table(frame).to_html()  # default: a dash
