// The platform view: what the mock cloud has — its SIMs, Fleets and recent Commands — as read-only tables,
// a page at a time (GET /api/platform/:table?page=N&size=M, newest first), to compare with what the bridge
// published. A Command the dashboard has a journey for links to it.
import { api, el, text } from "./dom.js";
import { openJourney } from "./journey.js";

const SIZE = 10;
let table = "sims";
let page = 0;

export function setupPlatform() {
  const section = document.getElementById("platform");
  for (const b of section.querySelectorAll("button[data-table]")) {
    b.addEventListener("click", () => {
      table = b.dataset.table;
      page = 0;
      void load();
    });
  }
  document.getElementById("platform-prev").addEventListener("click", () => {
    page = Math.max(0, page - 1);
    void load();
  });
  document.getElementById("platform-next").addEventListener("click", () => {
    page += 1;
    void load();
  });
  document.getElementById("platform-refresh").addEventListener("click", () => void load());
  void load();
}

async function load() {
  const section = document.getElementById("platform");
  for (const b of section.querySelectorAll("button[data-table]")) b.setAttribute("aria-pressed", String(b.dataset.table === table));
  const status = document.getElementById("platform-status");
  const tableEl = document.getElementById("platform-table");
  let r;
  try {
    r = await api(`/api/platform/${table}?page=${page}&size=${SIZE}`);
  } catch (err) {
    status.textContent = `not available: ${err.message}`;
    tableEl.replaceChildren();
    section.dataset.available = "false";
    return;
  }
  section.dataset.available = "true";
  const head = el("tr");
  for (const f of r.fields) head.append(el("th", { scope: "col" }, f.replaceAll("_", " ")));
  head.append(el("th", { scope: "col" }, "journey"));
  const body = el("tbody");
  for (const item of r.items) {
    const tr = el("tr", { "data-sid": text(item.sid) });
    for (const f of r.fields) tr.append(el("td", { class: f === "sid" || f.endsWith("_sid") ? "sid" : "" }, text(item[f], 120)));
    const j = el("td");
    if (typeof item.journey === "string") {
      const b = el("button", { type: "button", class: "link", "aria-label": `Journey of ${item.journey}` }, item.journey);
      b.addEventListener("click", () => openJourney(item.journey, b));
      j.append(b);
    }
    tr.append(j);
    body.append(tr);
  }
  const thead = el("thead");
  thead.append(head);
  tableEl.replaceChildren(thead, body);
  status.textContent = r.items.length === 0 ? `page ${page + 1}: nothing here` : `page ${page + 1}: ${r.items.length} ${table.replaceAll("-", " ")}, newest first`;
  document.getElementById("platform-prev").disabled = page === 0;
  document.getElementById("platform-next").disabled = !r.has_next;
}
