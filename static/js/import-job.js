// Admin "Catalogue import" job page: follow a queued or running job without reloading.
// Polls the job's status.json every 2 s, updates the progress text and <progress>, and
// reloads the page when the state changes (the server renders the plan or the report).
// Without it the page still works: it says to refresh, and links to itself to do so.
(() => {
  const root = document.querySelector("[data-import-job][data-follow]");
  if (!root) return;
  const EVERY_MS = 2000;
  const text = root.querySelector("[data-job-progress-text]");
  const bar = root.querySelector("[data-job-progress]");
  const shownState = root.dataset.state;
  const hint = root.querySelector("[data-refresh-hint]");
  if (hint) hint.hidden = true;

  function show(job) {
    const { done, total } = job.progress.products;
    if (job.planned && job.state === "running" && total > 0) {
      text.textContent = `${done} of ${total} products`;
      bar.max = total;
      bar.value = done;
      bar.textContent = `${done} of ${total}`;
    }
  }

  async function poll() {
    try {
      const response = await fetch(root.dataset.statusUrl, {
        headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!response.ok) return; // signed out or gone: the Refresh link says why
      const job = await response.json();
      if (job.state !== shownState) {
        window.location.reload();
        return;
      }
      show(job);
    } catch (error) {
      // A dropped request: try again at the next tick.
    }
    window.setTimeout(poll, EVERY_MS);
  }

  window.setTimeout(poll, EVERY_MS);
})();
