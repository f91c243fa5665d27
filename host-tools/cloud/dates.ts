/**
 * Date formats of the two API generations:
 * v1 (Super SIM, Wireless): ISO 8601 in UTC without milliseconds, "2015-07-30T20:00:00Z";
 * 2010 (api.twilio.com): RFC 2822, "Mon, 20 Jul 2015 17:27:10 +0000".
 */
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number): string => (n < 10 ? "0" + n : String(n));

let lastSecond = Number.NaN;
let lastIso = "";

/** v1: `YYYY-MM-DDTHH:mm:ssZ`. Accepts a Date or epoch milliseconds. */
export function isoDate(d: Date | number): string {
  const ms = typeof d === "number" ? d : d.getTime();
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    // One formatting per second: every record created in the same second shares the string.
    lastIso = new Date(second * 1000).toISOString().slice(0, 19) + "Z";
    lastSecond = second;
  }
  return lastIso;
}

/** 2010: `ddd, DD MMM YYYY HH:mm:ss +0000`. Accepts a Date or epoch milliseconds. */
export function rfc2822Date(d: Date | number): string {
  const t = typeof d === "number" ? new Date(d) : d;
  return `${DAYS[t.getUTCDay()]}, ${pad(t.getUTCDate())} ${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()} ` +
    `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} +0000`;
}

/** v1 date or null (the APIs send explicit nulls, never omit a field). */
export function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : isoDate(ms);
}
