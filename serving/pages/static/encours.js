// encours pages: small helpers, no framework, nothing fetched from another host.
"use strict";

// Reasons on demand: a <details data-src="..."> loads its fragment the first time it opens.
document.addEventListener("toggle", async (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open || !details.dataset.src) return;
  const target = details.querySelector(".loaded");
  if (!target || target.dataset.done) return;
  target.dataset.done = "1";
  try {
    const answer = await fetch(details.dataset.src, { credentials: "same-origin" });
    target.innerHTML = await answer.text();
  } catch (error) {
    target.textContent = String(error);
  }
}, true);

// Charts: every <div class="chart" data-figure="{plotly JSON}"> is drawn by plotly.js, which the
// page loads from /ui/static/plotly.min.js when it has charts.
function drawCharts() {
  if (typeof Plotly === "undefined") return;
  for (const element of document.querySelectorAll(".chart[data-figure]")) {
    const figure = JSON.parse(element.dataset.figure);
    Plotly.newPlot(element, figure.data, figure.layout || {}, {
      displaylogo: false,
      responsive: true,
      modeBarButtonsToRemove: ["sendDataToCloud"],
    });
  }
}
document.addEventListener("DOMContentLoaded", drawCharts);
