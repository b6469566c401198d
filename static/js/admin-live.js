// The back office's live figures (admin/operations.py): every few seconds, read the page's
// figures.json and write each value into the element naming it. Text only (textContent):
// nothing read is ever rendered as HTML. Loaded by the Operations page alone.
//
//   <div data-refresh-url="…/figures.json" data-refresh-seconds="5">
//     <span data-figure="online_users">3</span>             its text becomes the figure's
//     <span data-refreshed-at></span>                       the time of the last refresh
//   </div>

for (const panel of document.querySelectorAll("[data-refresh-url]")) {
  const url = panel.dataset.refreshUrl;
  const seconds = Number(panel.dataset.refreshSeconds) || 5;
  const refresh = async () => {
    try {
      const response = await fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const figures = await response.json();
      for (const element of panel.querySelectorAll("[data-figure]")) {
        const value = figures[element.dataset.figure];
        element.textContent = value === undefined ? "—" : value;
        element.classList.toggle("text-danger", typeof value === "string" && /^(DOWN|NOT READY|unavailable)/.test(value));
      }
      panel.querySelectorAll("[data-refreshed-at]").forEach((element) => {
        element.textContent = new Date().toLocaleTimeString();
      });
      panel.classList.remove("stale");
    } catch (error) {
      panel.classList.add("stale");
      panel.querySelectorAll("[data-refreshed-at]").forEach((element) => {
        element.textContent = `refresh failed (${error.message}), trying again`;
      });
    }
  };
  setInterval(refresh, seconds * 1000);
}
