// Live updates without reloading: the overview's counts and chart (once a second); the
// running page's progress bars (once a second, only the executions the page lists); and every
// table marked data-live, re-rendered by the server every two seconds and swapped in unless
// the user is typing into it.
(function () {
  const chart = document.getElementById("chart");
  const running = document.getElementById("running");
  const SERIES = ["runs", "failures", "depth"];

  function draw(points) {
    const w = 800, h = 140, pad = 6, n = Math.max(1, points.length - 1);
    const x = i => (i / n) * w;
    let svg = "";
    for (const name of SERIES) {
      const values = points.map(p => p[name]);
      const max = Math.max(1, ...values.filter(v => v !== null));
      const peak = document.getElementById(name + "-max");
      if (peak) peak.textContent = String(Math.max(0, ...values.filter(v => v !== null)));
      let line = "", parts = [];
      values.forEach((v, i) => {
        if (v === null) { if (line) parts.push(line); line = ""; return; }
        line += `${x(i).toFixed(1)},${(h - pad - (v / max) * (h - 2 * pad)).toFixed(1)} `;
      });
      if (line) parts.push(line);
      for (const pts of parts)
        svg += `<polyline class="${name}" fill="none" stroke-width="2" points="${pts.trim()}"/>`;
    }
    chart.innerHTML = svg;
  }

  async function overview() {
    const data = await (await fetch("/api/overview")).json();
    for (const el of document.querySelectorAll("[data-count]")) el.textContent = String(data[el.dataset.count]);
    draw(data.chart);
  }

  async function progress() {
    const rows = new Map();
    const table = document.getElementById("running");  // looked up again: tables() swaps it
    for (const row of table.querySelectorAll("tr[data-key]")) rows.set(row.dataset.key, row);
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

  function busy(el) {
    if (el.contains(document.activeElement)) return true;
    for (const input of el.querySelectorAll("input")) if (input.type !== "hidden" && input.value) return true;
    return false;
  }

  async function tables() {
    const live = document.querySelectorAll("[data-live][id]");
    if (!live.length) return;
    const response = await fetch(location.href, { headers: { "Accept": "text/html" } });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const el of document.querySelectorAll("[data-live][id]")) {
      const next = fresh.getElementById(el.id);
      if (next && !busy(el)) el.replaceWith(document.importNode(next, true));
    }
  }

  function every(ms, poll) {
    async function tick() {
      try { await poll(); } catch (e) { /* keep polling */ }
      setTimeout(tick, ms);
    }
    tick();
  }

  if (chart) {
    draw(JSON.parse(chart.dataset.points || "[]"));
    every(1000, overview);
  }
  if (running) every(1000, progress);
  if (document.querySelector("[data-live][id]")) setTimeout(() => every(2000, tables), 2000);
})();
