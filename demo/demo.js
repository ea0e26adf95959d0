// The stub sites paste before the tracker: calls made before it loads are queued and replayed.
window.footfall =
  window.footfall ||
  ((...args) => {
    window.footfall.q = window.footfall.q || [];
    window.footfall.q.push(args);
  });

const TITLES = {
  "/demo": "Footfall demo",
  "/demo/pricing": "Pricing · Footfall demo",
  "/demo/about": "About · Footfall demo",
};

const statusLine = document.getElementById("status");

// An SPA navigation: the URL changes through history.pushState, no page is loaded.
document.getElementById("spa-nav").addEventListener("click", (event) => {
  const path = event.currentTarget.dataset.path;
  document.title = TITLES[path] ?? document.title;
  history.pushState({}, "", path);
  statusLine.textContent = `Now at ${path}, without a page load: the tracker sent a pageview.`;
});

document.getElementById("signup").addEventListener("click", () => {
  window.footfall("signup", { plan: "pro" });
  statusLine.textContent = "Sent the custom event signup with { plan: 'pro' }.";
});
