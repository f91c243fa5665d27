// Helpers of the dashboard page. Everything that comes from MQTT, the bridge or the mock cloud is untrusted:
// it reaches the page through textContent and plain attributes only, never as markup.

const MAX_TEXT = 300;
const SVG = "http://www.w3.org/2000/svg";

/** An element with text content and plain attributes (never markup). */
export function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** An SVG element with plain attributes (and optional text). */
export function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Any value as short text. */
export function text(v, max = MAX_TEXT) {
  if (v === undefined || v === null) return "";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** A date-time as local time (today) or local date and time; anything else as it came. */
export function when(iso) {
  const t = new Date(iso);
  if (typeof iso !== "string" || Number.isNaN(t.getTime())) return text(iso);
  return t.toDateString() === new Date().toDateString() ? t.toLocaleTimeString() : t.toLocaleString();
}

/** A duration in ms as "850 ms" or "2.4 s". */
export function ms(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "";
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
}

export const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/** fetch + JSON; throws an Error with the API's message for a non-2xx answer. */
export async function api(path, init) {
  const res = await fetch(path, init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(text(body.error?.message ?? res.statusText));
  return body;
}

/** POST a JSON body. */
export function post(path, body) {
  return api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}
