/**
 * The JSON of Programmable Wireless v1 resources, `wireless.v1.sim` and `wireless.v1.command`
 * (specs/twilio_wireless_v1.json): every field present, explicit nulls, ISO 8601 dates without millis.
 */
import { isoDate } from "../../dates.js";
import type { CommandRow, SimRow } from "./store.js";

/** `wireless.v1.sim`; `base` is the product base URL (`http://127.0.0.1:P/wireless`). */
export function simJson(r: SimRow, base: string): Record<string, unknown> {
  const url = `${base}/v1/Sims/${r.sid}`;
  return {
    sid: r.sid,
    unique_name: r.unique_name,
    account_sid: r.account_sid,
    rate_plan_sid: r.rate_plan_sid,
    friendly_name: r.friendly_name,
    iccid: r.iccid,
    e_id: r.e_id,
    status: r.status,
    reset_status: r.reset_status,
    commands_callback_url: r.commands_callback_url,
    commands_callback_method: r.commands_callback_method,
    sms_fallback_method: r.sms_fallback_method,
    sms_fallback_url: r.sms_fallback_url,
    sms_method: r.sms_method,
    sms_url: r.sms_url,
    voice_fallback_method: r.voice_fallback_method,
    voice_fallback_url: r.voice_fallback_url,
    voice_method: r.voice_method,
    voice_url: r.voice_url,
    date_created: isoDate(r.created_ms),
    date_updated: isoDate(r.updated_ms),
    url,
    links: {
      data_sessions: `${url}/DataSessions`,
      rate_plan: r.rate_plan_sid === null ? null : `${base}/v1/RatePlans/${r.rate_plan_sid}`,
      usage_records: `${url}/UsageRecords`,
    },
    ip_address: null,
  };
}

/** `wireless.v1.command`. */
export function commandJson(r: CommandRow, base: string): Record<string, unknown> {
  return {
    sid: r.sid,
    account_sid: r.account_sid,
    sim_sid: r.sim_sid,
    command: r.command,
    command_mode: r.command_mode,
    transport: r.transport,
    delivery_receipt_requested: r.delivery_receipt_requested === 1,
    status: r.status,
    direction: r.direction,
    date_created: isoDate(r.created_ms),
    date_updated: isoDate(r.updated_ms),
    url: `${base}/v1/Commands/${r.sid}`,
  };
}
