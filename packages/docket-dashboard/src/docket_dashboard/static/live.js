// Live overview: poll the JSON feed once a second and redraw counts and the chart.
(function () {
  const chart = document.getElementById("chart");
  if (!chart) return;
  function draw(samples) {
    const w = 800, h = 120, max = Math.max(1, ...samples.map(s => s.depth));
    const pts = samples.map((s, i) => `${(i / Math.max(1, samples.length - 1)) * w},${h - (s.depth / max) * (h - 10)}`);
    chart.innerHTML = `<polyline fill="none" stroke="#36c" stroke-width="2" points="${pts.join(" ")}"/>`;
  }
  async function tick() {
    try {
      const data = await (await fetch("/api/overview")).json();
      for (const el of document.querySelectorAll("[data-count]")) el.textContent = String(data[el.dataset.count]);
      draw(data.samples);
    } catch (e) { /* keep polling */ }
    setTimeout(tick, 1000);
  }
  tick();
})();
