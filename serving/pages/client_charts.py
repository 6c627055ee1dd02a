"""The charts of the client's sheet: the score over the last month ends, the points lost by
component (a waterfall from 100 to the score) and the days late of each settled invoice.

Dates are labelled by number (``03/2025``), never by month name: plotly.js names months in
English only unless a locale file is loaded.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from config.language import Words
from serving.pages.charts import COLOURS, base_layout, figure_json
from serving.risk_score import GRADES, RiskScore
from serving.services.client_sheet import ScoreAt


def date_axis(words: Words) -> dict[str, Any]:
    """An x axis of dates in the language's numeric format."""
    return {
        "type": "date",
        "tickformat": "%m/%Y" if words.lang == "fr" else "%Y-%m",
        "hoverformat": "%d/%m/%Y" if words.lang == "fr" else "%Y-%m-%d",
    }


def trend_chart(words: Words, trend: list[ScoreAt], labels: dict[str, str]) -> str:
    """The score at each month end, the grades' lower bounds drawn across."""
    figure = go.Figure(
        go.Scatter(
            x=[s.day.isoformat() for s in trend],
            y=[s.score for s in trend],
            text=[s.grade for s in trend],
            mode="lines+markers",
            name=labels["score"],
            line={"color": COLOURS[0], "width": 3},
            hovertemplate=labels["hover"],
        )
    )
    dotted = {"color": COLOURS[5], "width": 1, "dash": "dot"}
    figure.update_layout(
        base_layout(words, showlegend=False),
        xaxis=date_axis(words),
        yaxis={"range": [0, 100], "title": {"text": labels["score"]}},
        shapes=[across(least, dotted) for _, least in GRADES],
        annotations=[
            {
                "xref": "paper",
                "x": 1,
                "xanchor": "right",
                "y": least,
                "yanchor": "bottom",
                "text": letter,
                "showarrow": False,
            }
            for letter, least in GRADES
        ],
    )
    return figure_json(figure)


def across(y: float, line: dict[str, Any]) -> dict[str, Any]:
    """A line across the plot at ``y``: what ``add_hline`` draws, given as a plain shape
    (``add_hline`` took 50 ms a line, a fifth of the sheet's time once its figures are
    kept)."""
    return {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y, "line": line}


def wrapped(label: str, width: int = 16) -> str:
    """A long axis label on several lines, so that it is read level, not slanted."""
    return "<br>".join(textwrap.wrap(label, width)) or label


def reasons_chart(
    words: Words, score: RiskScore, names: dict[str, str], labels: dict[str, str]
) -> str:
    """A waterfall from 100 down to the score, one step per component's points lost."""
    steps = list(score.reasons)
    lost = [words.number(-r.points_lost, 1) if r.points_lost else words.number(0) for r in steps]
    figure = go.Figure(
        go.Waterfall(
            x=[
                wrapped(labels["start"]),
                *(wrapped(names.get(r.component, r.component)) for r in steps),
                wrapped(labels["score"]),
            ],
            y=[100.0, *(-r.points_lost for r in steps), score.score],
            measure=["absolute", *("relative" for _ in steps), "total"],
            text=[words.number(100), *lost, words.number(score.score, 1)],
            textposition="outside",
            cliponaxis=False,
            decreasing={"marker": {"color": COLOURS[4]}},
            increasing={"marker": {"color": COLOURS[1]}},
            totals={"marker": {"color": COLOURS[0]}},
            connector={"line": {"color": COLOURS[5], "dash": "dot"}},
            hoverinfo="x+text",
        )
    )
    figure.update_layout(
        base_layout(words, showlegend=False, hovermode="closest"),
        xaxis={"tickangle": 0},
        yaxis={"range": [0, 112], "title": {"text": labels["points"]}},
    )
    return figure_json(figure)


def history_chart(words: Words, settled: pd.DataFrame, labels: dict[str, str]) -> str:
    """Days late of each settled invoice on its payment date (below 0: paid early)."""
    late = settled["days_late"] > 0
    figure = go.Figure()
    for mask, colour, name in (
        (~late, COLOURS[0], labels["on_time"]),
        (late, COLOURS[4], labels["late"]),
    ):
        part = settled[mask]
        figure.add_trace(
            go.Scatter(
                x=part["paid_date"].dt.strftime("%Y-%m-%d").tolist(),
                y=part["days_late"].tolist(),
                text=part["invoice_id"].tolist(),
                mode="markers",
                name=name,
                marker={"color": colour, "size": 8, "opacity": 0.8},
                hovertemplate=labels["hover"],
            )
        )
    figure.update_layout(
        base_layout(words, hovermode="closest"),
        xaxis=date_axis(words),
        yaxis={"title": {"text": labels["days"]}, "zeroline": False},
        shapes=[across(0, {"color": COLOURS[5], "width": 1})],
    )
    return figure_json(figure)
