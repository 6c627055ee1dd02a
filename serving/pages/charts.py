"""Charts of the pages: plotly figures built here, drawn in the browser by the plotly.js
file the plotly package ships (``/ui/static/plotly.min.js``), never fetched from a CDN.

A page passes :func:`figure_json` of a figure to the ``chart`` macro
(``templates/macros.html``); ``encours.js`` draws every chart of the page.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from config.language import Words

COLOURS = ("#0b5cad", "#4a90d9", "#f0a500", "#d9622b", "#a4161a", "#6b7785")
"""Series colours, from the safest to the most overdue (and grey for what is apart)."""


def base_layout(words: Words, **more: Any) -> dict[str, Any]:
    """Layout every chart shares: the language's number separators, quiet margins."""
    return {
        "separators": ", " if words.lang == "fr" else ".,",
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "font": {"family": "system-ui, sans-serif", "size": 13},
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "x unified",
        **more,
    }


def figure_json(figure: go.Figure) -> str:
    """The figure as the JSON the ``chart`` macro embeds."""
    return str(figure.to_json(validate=False, engine="json"))
