// A device's end-to-end latency at a glance: one bar per finished command (the last 20, oldest left),
// its height the time from the request to the final status, its colour the final status; and the
// commands counted by final status. Plain SVG built with createElementNS and attributes (no inline style,
// so the strict Content-Security-Policy holds; no library: twenty bars need none).
import { el, ms, svg, text } from "./dom.js";

const W = 160;
const H = 36;
const SLOTS = 20;
const GAP = 1;

export function renderStats(cell, name, stats) {
  const points = Array.isArray(stats.points) ? stats.points : [];
  const max = Math.max(1, ...points.map((p) => p.latency_ms));
  const label = points.length === 0 ? `no finished commands for ${name} yet` : `latency of the last ${points.length} commands of ${name}: up to ${ms(max)}`;
  const chart = svg("svg", { class: "latency", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": label, "data-points": points.length });
  chart.append(svg("title", {}, label));
  chart.append(svg("line", { class: "axis", x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5 }));
  const slot = W / SLOTS;
  points.forEach((p, i) => {
    const h = Math.max(1, Math.round((p.latency_ms / max) * (H - 2)));
    const bar = svg("rect", { class: "bar", "data-status": text(p.status), "data-id": text(p.id), x: (i * slot + GAP / 2).toFixed(1), y: H - 1 - h, width: (slot - GAP).toFixed(1), height: h });
    bar.append(svg("title", {}, `${text(p.id)}: ${p.status} after ${ms(p.latency_ms)}`));
    chart.append(bar);
  });
  const counts = stats.counts ?? {};
  const parts = ["succeeded", "failed", "expired", "rejected", "pending"].filter((k) => (counts[k] ?? 0) > 0).map((k) => `${counts[k]} ${k}`);
  const legend = el("p", { class: "counts" }, parts.length === 0 ? "no commands yet" : parts.join(" · "));
  const top = el("p", { class: "max muted" }, points.length === 0 ? "" : `max ${ms(max)}`);
  cell.replaceChildren(chart, top, legend);
}
