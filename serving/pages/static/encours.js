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
