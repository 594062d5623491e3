// Follows long work without refreshing the page: every two seconds it asks the server how far the
// work has come (the element's data-follow address, JSON) and says so in the status region; when
// the work ends it loads the page again, which then shows the result.
(function () {
  "use strict";
  const box = document.querySelector("[data-follow]");
  if (!box) return;
  const status = box.querySelector("[role=status]");
  const bar = box.querySelector("progress");
  async function ask() {
    try {
      const answer = await fetch(box.dataset.follow, { credentials: "same-origin", cache: "no-store" });
      if (!answer.ok) return;
      const now = await answer.json();
      if (now.state !== "running") { window.location.reload(); return; }
      if (status && status.textContent !== now.said) status.textContent = now.said;
      if (bar) bar.value = now.done;
    } catch (e) { /* the network came and went: ask again next time */ }
    window.setTimeout(ask, 2000);
  }
  window.setTimeout(ask, 2000);
})();
