// Each device's SIM on the simulated network: its state in the device row (attached, detached or powered off;
// the sleep mode; loss and latency) and, under "Network controls", attach/detach, power off/on, the sleep
// mode and the SIM's own loss, latency and loss seed. The dashboard forwards each action to the mock cloud
// (POST /api/devices/:name/network/:action) and pushes every change of state (`network` events), so the
// row always shows what the cloud has, whoever changed it.
import { api, el, isObject, post, text } from "./dom.js";

/** name → row (with .net cell, .simSid, .ui controls). */
let rowsByName = new Map();
let network = null;
let available = false;
let seq = 0;

const MODES = [
  ["connected", "none (connected)"],
  ["idle", "LTE idle (paging)"],
  ["edrx", "eDRX"],
  ["edrx+hlcom", "eDRX + HLCOM"],
  ["psm", "PSM"],
  ["psm+hlcom", "PSM + HLCOM"],
];

export async function setupNetwork(rows) {
  rowsByName = rows;
  try {
    const n = await api("/api/network");
    available = n.available === true;
    network = n.network;
    onCloudLink(n.connected === true);
    for (const s of n.sims ?? []) onNetworkPush({ sim_sid: s.sim_sid, state: s });
  } catch {
    available = false;
  }
  for (const [name, row] of rows) {
    if (!available) row.net.replaceChildren(el("span", { class: "muted" }, "no mock cloud"));
    else if (row.netState === undefined) void refresh(name, row);
  }
}

async function refresh(name, row) {
  try {
    render(row, await api(`/api/devices/${encodeURIComponent(name)}/network`));
  } catch (err) {
    row.ui?.out.replaceChildren(`not on the mock network: ${err.message}`);
  }
}

export function onCloudLink(up) {
  const p = document.getElementById("cloud-link");
  if (p === null) return;
  p.hidden = !available;
  p.dataset.state = up ? "live" : "down";
  p.textContent = up ? "mock cloud" : "mock cloud: reconnecting…";
}

/** A `network` event: `{sim_sid, state}` or `{network}`. */
export function onNetworkPush(m) {
  if (isObject(m.network)) {
    network = m.network;
    for (const row of rowsByName.values()) if (row.netState !== undefined) render(row, row.netState);
    return;
  }
  for (const row of rowsByName.values()) {
    if (row.simSid === m.sim_sid || (row.simSid === undefined && row.sid.textContent === m.sim_sid)) render(row, m.state);
  }
}

/** Builds the network cell of a new device row. */
export function networkCell(name, row) {
  const n = ++seq;
  const state = el("p", { class: "netstate" });
  const details = el("details", { class: "netctl" });
  const out = el("output", { role: "status", "aria-live": "polite" });
  const button = (action, label) => {
    const b = el("button", { type: "button", "data-action": action }, label);
    b.addEventListener("click", () => act(name, row, action, {}));
    return b;
  };
  const buttons = [button("detach", "Detach"), button("attach", "Attach"), button("power-off", "Power off"), button("power-on", "Power on")];
  const group = el("div", { class: "actions", role: "group", "aria-label": `Attachment and power of ${name}` });
  group.append(...buttons);

  const mode = el("select", { id: `mode-${n}`, "aria-label": `Sleep mode for ${name}` });
  for (const [v, label] of MODES) mode.append(el("option", { value: v }, label));
  const modeForm = el("form", { class: "mode" });
  const modeField = el("span", { class: "field" });
  modeField.append(el("label", { for: `mode-${n}` }, "Sleep"), mode);
  modeForm.append(modeField, el("button", { type: "submit" }, "Set mode"));
  modeForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const [m, hlcom] = mode.value.split("+");
    void act(name, row, "power", { mode: m, hlcom: hlcom === "hlcom" });
  });

  const field = (key, label, attrs) => {
    const input = el("input", { id: `${key}-${n}`, type: "number", inputmode: "numeric", "aria-label": `${label} for ${name}`, ...attrs });
    const span = el("span", { class: "field" });
    span.append(el("label", { for: `${key}-${n}` }, label), input);
    return [span, input];
  };
  const [lossField, loss] = field("loss", "Loss %", { min: "0", max: "100", step: "any", placeholder: "network" });
  const [latField, latency] = field("latency", "Latency ms", { min: "0", max: "60000", step: "1", placeholder: "network" });
  const [seedField, seed] = field("seed", "Seed", { min: "0", max: "4294967295", step: "1", placeholder: "random" });
  const condForm = el("form", { class: "conditions" });
  condForm.append(lossField, latField, seedField, el("button", { type: "submit" }, "Set loss and latency"));
  condForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const num = (input, scale = 1) => (input.value.trim() === "" ? null : Number(input.value) / scale);
    void act(name, row, "conditions", { loss: num(loss, 100), latency_ms: num(latency), seed: num(seed) });
  });

  const panel = el("div", { class: "controls" });
  panel.append(group, modeForm, condForm);
  details.append(el("summary", {}, "Network controls"), panel);
  row.net.replaceChildren(state, details, out);
  row.ui = { state, out, buttons, mode, loss, latency, seed };
  if (available) void refresh(name, row);
}

async function act(name, row, action, body) {
  const focused = document.activeElement;
  row.ui.out.replaceChildren(`${action}…`);
  try {
    render(row, await post(`/api/devices/${encodeURIComponent(name)}/network/${action}`, body), true);
    row.ui.out.replaceChildren(`${action}: done`);
  } catch (err) {
    row.ui.out.replaceChildren(`${action} failed: ${err.message}`);
  }
  // A button that just did its work may now be disabled: keep the keyboard in the group.
  if (focused?.tagName === "BUTTON" && focused.disabled) row.ui.buttons.find((b) => !b.disabled)?.focus();
}

const pct = (x) => `${Math.round(x * 1000) / 10} %`;

function render(row, s, fillInputs = row.netState === undefined) {
  row.netState = s;
  row.simSid = s.sim_sid;
  const ui = row.ui;
  if (ui === undefined) return;
  const where = s.powered === false ? "off" : s.attached ? "attached" : "detached";
  const power = isObject(s.power) ? s.power : {};
  const own = isObject(s.conditions) ? s.conditions : {};
  const net = isObject(network) ? network : {};
  const loss = own.loss ?? net.loss ?? 0;
  const latency = own.latency_ms ?? net.latency_ms ?? 0;
  const parts = [
    el("span", { class: "badge", "data-net": where }, where === "off" ? "powered off" : where),
    el("span", { class: "mode", "data-mode": text(power.mode) }, `${text(power.mode ?? "connected")}${power.hlcom ? " + HLCOM" : ""}`),
    el("span", { class: "loss" }, `loss ${pct(loss)}${own.loss !== null && own.loss !== undefined ? "" : " (network)"}`),
    el("span", { class: "latency" }, `+${Math.round(latency)} ms`),
  ];
  if (own.seed !== null && own.seed !== undefined) parts.push(el("span", { class: "seed muted" }, `seed ${text(own.seed)}`));
  if (typeof s.sms_queue === "number" && s.sms_queue > 0) parts.push(el("span", { class: "queue" }, `${s.sms_queue} SMS waiting`));
  ui.state.replaceChildren(...parts.flatMap((p, i) => (i === 0 ? [p] : [" · ", p])));
  const on = s.powered !== false;
  const enabled = { detach: s.attached === true, attach: on && !s.attached && s.reattachable === true, "power-off": on, "power-on": !on };
  for (const b of ui.buttons) b.disabled = !enabled[b.dataset.action];
  if (document.activeElement !== ui.mode) ui.mode.value = `${power.mode ?? "connected"}${power.hlcom && (power.mode === "edrx" || power.mode === "psm") ? "+hlcom" : ""}`;
  if (fillInputs) {
    ui.loss.value = own.loss === null || own.loss === undefined ? "" : String(Math.round(own.loss * 1000) / 10);
    ui.latency.value = own.latency_ms === null || own.latency_ms === undefined ? "" : String(own.latency_ms);
    ui.seed.value = own.seed === null || own.seed === undefined ? "" : String(own.seed);
  }
}
