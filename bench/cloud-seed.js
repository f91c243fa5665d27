// History for bench/cloud-growth.js, written through the stores (products/*/store.ts) inside the cloud's own
// process (bench/cloud-child.js), in transactions of 50,000 rows: `records` IpCommands over `sims` Super
// SIMs and a tenth as many Wireless Commands; rows i < 10% are older than the 30-day retention, the rest
// within it. SIDs come from ctx.sid (time-ordered, host-tools/cloud/sids.ts) in the order of the rows' age,
// so the seeded history has lower SIDs than what the bench creates afterwards, as real history would.
const BATCH = 50_000;
const DAY = 24 * 3600 * 1000;
const IP_STATUSES = ["sent", "sent", "sent", "received", "received", "failed", "queued", "sent", "received", "sent"];
const WL_STATUSES = ["delivered", "sent", "received", "failed", "queued"];

export function seed(ctx, { records, sims, wirelessRecords, fleetSid }, supersim, wireless) {
  const t0 = performance.now();
  const now = Date.now();
  const ageOf = (i, total) => (i < total / 10 ? 40 * DAY - (i / total) * DAY : ((total - i) / total) * 27 * DAY);
  const simSids = [];
  ctx.db.transaction(() => {
    for (let s = 0; s < sims; s++) {
      const sid = ctx.sid("HS");
      supersim.insertSim(ctx, sid, "8988307" + String(s).padStart(12, "0"), now);
      supersim.updateSim(ctx, sid, { unique_name: `seed-${s}`, status: "active", fleet_sid: fleetSid }, now);
      simSids.push(sid);
    }
  })();
  for (let start = 0; start < records; start += BATCH) {
    ctx.db.transaction(() => {
      for (let i = start; i < Math.min(records, start + BATCH); i++) {
        const t = Math.round(now - ageOf(i, records));
        const simSid = simSids[i % sims];
        const status = IP_STATUSES[i % IP_STATUSES.length];
        supersim.createIpCommand(
          ctx,
          {
            seq: 0, sid: ctx.sid("HG"), sim_sid: simSid, sim_iccid: null, status, direction: status === "received" ? "from_sim" : "to_sim",
            device_ip: "10.0.0.1", device_port: 6969, payload_type: "text", payload: "checkin: firmware update", callback_url: null,
            callback_method: "POST", created_ms: t, updated_ms: t,
          },
          { sid: simSid, status: "active" },
        );
      }
    })();
  }
  const t1 = performance.now();
  // Wireless: one SIM, and Commands created at their seeded time through the store (its clock is ctx.now).
  const wlSim = "DE" + "0".repeat(32);
  wireless.insertSim(ctx, { sid: wlSim, unique_name: "seed", friendly_name: null, iccid: "8901000000000000001", status: "active",
    commands_callback_url: null, commands_callback_method: "POST" }, now);
  const sim = wireless.simBySid(ctx, wlSim);
  for (let start = 0; start < wirelessRecords; start += BATCH) {
    ctx.db.transaction(() => {
      for (let i = start; i < Math.min(wirelessRecords, start + BATCH); i++) {
        const t = Math.round(now - ageOf(i, wirelessRecords));
        const at = { ...ctx, now: () => new Date(t) };
        const status = WL_STATUSES[i % WL_STATUSES.length];
        wireless.createCommandRow(at, sim, { command: "ping", command_mode: "text", delivery_receipt_requested: 1, status,
          direction: status === "received" ? "from_sim" : "to_sim", callback_url: null, callback_method: "POST" });
      }
    })();
  }
  const t2 = performance.now();
  return { simSids: [simSids[sims >> 1], simSids[1]], ipMs: t1 - t0, wlMs: t2 - t1, rssMb: process.memoryUsage().rss / 1e6 };
}
