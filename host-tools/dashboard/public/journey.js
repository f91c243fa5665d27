// The journey of one command (GET /api/journeys/:id): a summary (device, transport, status, end-to-end time,
// the platform resource with its status and error) and every step in time order, with the time since the
// first step and since the previous one, and the bytes on the simulated network decoded (raw hex on demand).
// Fetched again whenever the server says the journey changed.
import { api, el, isObject, ms, text } from "./dom.js";

let current = null;
let opener = null;
let loading = false;
let again = false;

const panel = () => document.getElementById("journey");

/** Opens the journey of `id` (focus moves to it; Escape or Close returns focus to `from`). */
export function openJourney(id, from) {
  current = id;
  opener = from ?? null;
  const p = panel();
  p.hidden = false;
  document.getElementById("journey-title").textContent = `Journey of ${id}`;
  document.getElementById("journey-steps").replaceChildren();
  document.getElementById("journey-summary").replaceChildren(el("p", { class: "muted" }, "loading…"));
  document.getElementById("journey-title").focus();
  void load();
}

export function closeJourney() {
  current = null;
  panel().hidden = true;
  if (opener !== null && opener.isConnected) opener.focus();
}

/** The server says the journey of `id` changed. */
export function onJourneyChanged(id) {
  if (id === current) void load();
}

async function load() {
  if (loading) {
    again = true;
    return;
  }
  loading = true;
  const id = current;
  try {
    const j = await api(`/api/journeys/${encodeURIComponent(id)}`);
    if (id === current) render(j);
  } catch (err) {
    if (id === current) document.getElementById("journey-summary").replaceChildren(el("p", { class: "muted" }, `no journey: ${err.message}`));
  } finally {
    loading = false;
    if (again) {
      again = false;
      void load();
    }
  }
}

function row(dl, term, value, attrs = {}) {
  if (value === null || value === undefined || value === "") return;
  const dd = el("dd", attrs);
  if (typeof value === "object" && value !== null) dd.append(value);
  else dd.textContent = text(value);
  dl.append(el("dt", {}, term), dd);
}

function errorText(e) {
  if (!isObject(e)) return "";
  return [e.code, e.message].filter((x) => x !== null && x !== undefined && x !== "").map((x) => text(x)).join(": ");
}

function render(j) {
  const summary = el("dl", { class: "summary" });
  row(summary, "Device", j.device);
  row(summary, "Transport", j.transport ?? "default");
  row(summary, "Status", el("span", { class: "badge", "data-state": text(j.status) }, text(j.status ?? "not sent yet")), { class: "status" });
  row(summary, "End to end", j.latency_ms === null ? "not finished" : ms(j.latency_ms), { class: "latency" });
  if (isObject(j.resource)) {
    row(summary, "Platform resource", `${text(j.resource.type)} ${text(j.resource.sid)}`, { class: "resource" });
    row(summary, "Platform status", j.resource.status, { class: "platform-status" });
    row(summary, "Platform error", errorText({ code: j.resource.error_code, message: j.resource.error_message }), { class: "platform-error" });
  }
  row(summary, "SIM", j.sim_sid);
  document.getElementById("journey-summary").replaceChildren(summary);
  document.getElementById("journey-steps").replaceChildren(...j.steps.map(step));
}

function wire(w) {
  const box = el("div", { class: "wire" });
  const v = w.view ?? {};
  const what = w.as === "tpdu" ? "TPDU" : "datagram";
  let decoded;
  if (v.format === "text") decoded = `text ${JSON.stringify(v.value)}`;
  else if (v.format === "cbor") decoded = `CBOR ${text(v.value, 2000)}`;
  else if (v.format === "tpdu") decoded = Object.entries(v.value ?? {}).map(([k, x]) => `${k}: ${text(x, 400)}`).join(" · ");
  else if (v.format === "error") decoded = `does not decode: ${text(v.error)}`;
  else decoded = "binary";
  box.append(el("span", { class: "muted" }, `${what} ${w.direction === "mo" ? "from" : "to"} the device: `), el("code", { class: "decoded" }, decoded));
  if (isObject(v.reply)) box.append(" ", el("span", { class: "reply" }, `reply ${text(v.reply.id)} ${v.reply.ok ? "ok" : "err"} ${text(v.reply.value)}`));
  const raw = el("details", { class: "raw" });
  raw.append(el("summary", {}, `raw hex (${w.hex.length / 2} bytes${w.truncated ? ", cut" : ""})`), el("code", { class: "hex" }, w.hex));
  box.append(raw);
  return box;
}

function step(s) {
  const li = el("li", { "data-kind": s.kind, "data-source": s.source, "data-offset": String(s.offset_ms), "data-delta": String(s.delta_ms) });
  const head = el("div", { class: "head" });
  head.append(
    el("span", { class: "offset" }, `+${ms(s.offset_ms)}`),
    el("span", { class: "delta muted" }, `Δ ${ms(s.delta_ms)}`),
    el("span", { class: "source", "data-source": s.source }, s.source),
    el("span", { class: "title" }, text(s.title)),
  );
  li.append(head);
  const facts = [];
  if (s.sid) facts.push(["resource", s.sid]);
  if (s.status) facts.push(["status", s.status]);
  for (const f of s.facts ?? []) if (Array.isArray(f)) facts.push(f);
  if (facts.length > 0) {
    const ul = el("ul", { class: "facts" });
    for (const [k, v] of facts) ul.append(el("li", {}, `${text(k)}: ${text(v)}`));
    li.append(ul);
  }
  const err = errorText(s.error);
  if (err !== "") li.append(el("p", { class: "error" }, err));
  if (isObject(s.wire)) li.append(wire(s.wire));
  return li;
}

document.getElementById("journey-close").addEventListener("click", closeJourney);
panel().addEventListener("keydown", (e) => {
  if (e.key === "Escape") closeJourney();
});
