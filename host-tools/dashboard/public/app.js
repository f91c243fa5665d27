// The simcmd dashboard page: the device table (state, network, latency, a command form per device), the
// journey of a command, the live event list and the platform view.
// Data: GET /api/devices once, then GET /api/events (Server-Sent Events: the recent history, then each
// MQTT message; named events `journey`, `network`, `cloud` say what changed on the server).
import { renderStats } from "./chart.js";
import { api, el, isObject, text, when } from "./dom.js";
import { onJourneyChanged, openJourney } from "./journey.js";
import { networkCell, onCloudLink, onNetworkPush, setupNetwork } from "./network.js";
import { setupPlatform } from "./platform.js";

const MAX_EVENTS = 200;

/** name → { tr, sid, state, net, stats } cells of the device's row. */
const rows = new Map();
let inputSeq = 0;

function renderState(cell, state) {
  cell.replaceChildren();
  if (state === null || state === undefined) {
    cell.append(el("span", { class: "muted" }, "no state yet"));
    return;
  }
  if (!isObject(state)) {
    cell.append(el("span", { class: "badge" }, text(state)));
    return;
  }
  cell.append(el("span", { class: "badge", "data-state": text(state.state) }, text(state.state)));
  if (state.condition !== undefined && state.condition !== state.state) cell.append(" ", el("span", { class: "condition" }, text(state.condition)));
  if (state.reason) cell.append(" ", el("span", { class: "reason" }, text(state.reason)));
  if (state.since) cell.append(" ", el("time", { class: "since muted", datetime: text(state.since) }, `since ${when(state.since)}`));
}

function commandForm(name) {
  const n = ++inputSeq;
  const form = el("form", { class: "command" });
  const input = el("input", { id: `cmd-${n}`, name: "command", required: "", autocomplete: "off", placeholder: "ping", spellcheck: "false" });
  const select = el("select", { id: `transport-${n}`, name: "transport" });
  select.append(el("option", { value: "ip", selected: "" }, "ip"), el("option", { value: "sms" }, "sms"));
  const button = el("button", { type: "submit" }, "Send");
  const out = el("output", { for: `cmd-${n}`, role: "status", "aria-live": "polite" });
  form.append(
    el("label", { for: `cmd-${n}`, class: "visually-hidden" }, `Command for ${name}`),
    input,
    el("label", { for: `transport-${n}`, class: "visually-hidden" }, `Transport for ${name}`),
    select,
    button,
    out,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const command = input.value.trim();
    if (command === "") return;
    button.disabled = true;
    out.replaceChildren("sending…");
    try {
      const res = await fetch(`/api/devices/${encodeURIComponent(name)}/down`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ command, transport: select.value }),
      });
      const body = await res.json().catch(() => ({}));
      if (res.status === 202) {
        const open = el("button", { type: "button", class: "link", "data-journey": text(body.id) }, "journey");
        open.addEventListener("click", () => openJourney(body.id, open));
        out.replaceChildren(`sent as ${text(body.id)} `, open);
      } else out.replaceChildren(`not sent: ${text(body.error?.message ?? res.statusText)}`);
    } catch (err) {
      out.replaceChildren(`not sent: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function device(name) {
  let row = rows.get(name);
  if (row !== undefined) return row;
  const tr = el("tr", { "data-device": name });
  const sid = el("td", { class: "sid" });
  const state = el("td", { class: "state" });
  const net = el("td", { class: "net" });
  const stats = el("td", { class: "stats" });
  const cmd = el("td");
  cmd.append(commandForm(name));
  // The command form comes first after the state: Tab from the top of the page reaches it first.
  tr.append(el("th", { scope: "row" }, name), sid, state, cmd, net, stats);
  document.querySelector("#devices tbody").append(tr);
  document.getElementById("no-devices").hidden = true;
  row = { tr, sid, state, net, stats };
  renderState(state, null);
  networkCell(name, row);
  rows.set(name, row);
  return row;
}

async function refreshStats(name) {
  const row = rows.get(name);
  if (row === undefined) return;
  try {
    renderStats(row.stats, name, await api(`/api/devices/${encodeURIComponent(name)}/stats`));
  } catch {
    /* shown again on the next change */
  }
}

/** id, status and detail (result, error …) of an event, by kind (docs/bridge.md). */
function summary(ev) {
  const p = isObject(ev.payload) ? ev.payload : {};
  if (ev.kind === "down") return { id: p.id, status: "request", detail: p.command ?? p.payload };
  if (ev.kind.startsWith("down/")) {
    const err = isObject(p.error) ? `${text(p.error.code)}: ${text(p.error.message)}` : p.error;
    return { id: p.id, status: p.status ?? ev.kind.slice(5), detail: err ?? p.result };
  }
  if (ev.kind === "up" && isObject(p.reply)) return { id: p.reply.id, status: p.reply.ok ? "ok" : "err", detail: p.reply.ok ? p.reply.result : p.reply.error };
  if (ev.kind === "up") return { status: p.transport, detail: p.decoded ?? p.payload };
  if (ev.kind === "state") return { status: p.state ?? ev.payload, detail: p.reason };
  if (ev.kind === "bridge") return { status: ev.payload };
  return { detail: ev.payload };
}

function addEvent(ev) {
  const s = summary(ev);
  const li = el("li", { "data-kind": ev.kind, "data-id": text(s.id) });
  const id = el("span", { class: "id" });
  if (typeof s.id === "string" && s.id !== "") {
    const open = el("button", { type: "button", class: "link", "data-journey": s.id, "aria-label": `Journey of ${s.id}` }, text(s.id));
    open.addEventListener("click", () => openJourney(s.id, open));
    id.append(open);
  }
  li.append(
    el("time", { datetime: ev.at }, when(ev.at)),
    el("span", { class: "device" }, text(ev.device ?? "")),
    el("span", { class: "kind" }, ev.kind),
    id,
    el("span", { class: "status" }, text(s.status)),
    el("span", { class: "detail" }, text(s.detail)),
  );
  if (ev.retained) li.append(el("span", { class: "muted" }, "retained"));
  const list = document.getElementById("events");
  list.prepend(li);
  while (list.childElementCount > MAX_EVENTS) list.lastElementChild.remove();
}

function onEvent(ev) {
  if (ev.device !== null && ev.kind !== "bridge") {
    const row = device(ev.device);
    const sid = isObject(ev.payload) ? ev.payload.sim_sid : undefined;
    if (ev.kind === "up" && typeof sid === "string" && row.sid.textContent === "") row.sid.textContent = sid;
    if (ev.kind === "state") renderState(row.state, ev.payload === "" ? null : ev.payload);
  }
  addEvent(ev);
}

function setLink(state, label) {
  const link = document.getElementById("link");
  link.dataset.state = state;
  link.textContent = label;
}

async function main() {
  try {
    const { devices } = await api("/api/devices");
    for (const d of devices) {
      const row = device(d.name);
      row.sid.textContent = d.sim_sid ?? "";
      renderState(row.state, d.state);
    }
  } catch (err) {
    setLink("down", `could not load the devices: ${err.message}`);
  }
  for (const name of rows.keys()) void refreshStats(name);
  await setupNetwork(rows);
  setupPlatform();
  const events = new EventSource("/api/events");
  events.addEventListener("open", () => setLink("live", "live"));
  events.addEventListener("error", () => setLink("down", "event stream lost, reconnecting…"));
  events.addEventListener("message", (m) => onEvent(JSON.parse(m.data)));
  events.addEventListener("journey", (m) => {
    const j = JSON.parse(m.data);
    onJourneyChanged(j.id);
    if (j.final) void refreshStats(j.device);
  });
  events.addEventListener("network", (m) => onNetworkPush(JSON.parse(m.data)));
  events.addEventListener("cloud", (m) => onCloudLink(JSON.parse(m.data).connected === true));
}

main();
