// Live updates, polled once a second: the overview's counts and chart, the running page's
// progress bars (only the executions the page lists).
(function () {
  const chart = document.getElementById("chart");
  const running = document.getElementById("running");
  function draw(samples) {
    const w = 800, h = 120, max = Math.max(1, ...samples.map(s => s.depth));
    const pts = samples.map((s, i) => `${(i / Math.max(1, samples.length - 1)) * w},${h - (s.depth / max) * (h - 10)}`);
    chart.innerHTML = `<polyline fill="none" stroke="#36c" stroke-width="2" points="${pts.join(" ")}"/>`;
  }
  async function overview() {
    const data = await (await fetch("/api/overview")).json();
    for (const el of document.querySelectorAll("[data-count]")) el.textContent = String(data[el.dataset.count]);
    draw(data.samples);
  }
  async function progress() {
    const rows = new Map();
    for (const row of running.querySelectorAll("tr[data-key]")) rows.set(row.dataset.key, row);
    if (!rows.size) return;
    const query = new URLSearchParams();
    for (const key of rows.keys()) query.append("key", key);
    const data = await (await fetch("/api/progress?" + query.toString())).json();
    for (const p of data) {
      const row = rows.get(p.key);
      if (!row) continue;
      const bar = row.querySelector("progress");
      if (p.state === "running") {
        bar.max = p.total || 100;
        bar.value = p.current;
        row.querySelector(".done").textContent = `${p.current}/${p.total}`;
        row.querySelector(".message").textContent = p.message;  // textContent: never HTML
      }
      row.querySelector(".state").textContent = p.state === "running" ? "" : p.state;
    }
  }
  const poll = chart ? overview : running ? progress : null;
  if (!poll) return;
  async function tick() {
    try { await poll(); } catch (e) { /* keep polling */ }
    setTimeout(tick, 1000);
  }
  tick();
})();
