/** The JSON of Super SIM v1 resources (`supersim.v1.*`): every field present, explicit nulls, ISO 8601 dates. */
import type { FastifyRequest } from "fastify";
import type { CloudContext } from "../../context.js";
import { isoDate as iso } from "../../dates.js";
import type { FleetRow, IpRow, SimRow, SmsRow } from "./store.js";

/** The v1 base of the Super SIM product as the caller reached it, e.g. `http://127.0.0.1:P/supersim/v1`. */
export function v1(ctx: CloudContext, req: FastifyRequest): string {
  return `${ctx.publicUrl(req, "supersim")}/v1`;
}

const bool = (n: number): boolean => n !== 0;

export function fleetJson(ctx: CloudContext, r: FleetRow, base: string): Record<string, unknown> {
  return {
    account_sid: ctx.accountSid,
    sid: r.sid,
    unique_name: r.unique_name,
    date_created: iso(r.created_ms),
    date_updated: iso(r.updated_ms),
    url: `${base}/Fleets/${r.sid}`,
    data_enabled: bool(r.data_enabled),
    data_limit: r.data_limit,
    data_metering: "payg",
    sms_commands_enabled: bool(r.sms_commands_enabled),
    sms_commands_url: r.sms_commands_url,
    sms_commands_method: r.sms_commands_method,
    network_access_profile_sid: r.network_access_profile_sid,
    ip_commands_url: r.ip_commands_url,
    ip_commands_method: r.ip_commands_method,
  };
}

export function simJson(ctx: CloudContext, r: SimRow, base: string): Record<string, unknown> {
  const url = `${base}/Sims/${r.sid}`;
  return {
    sid: r.sid,
    unique_name: r.unique_name,
    account_sid: ctx.accountSid,
    iccid: r.iccid,
    status: r.status,
    fleet_sid: r.fleet_sid,
    date_created: iso(r.created_ms),
    date_updated: iso(r.updated_ms),
    url,
    links: { billing_periods: `${url}/BillingPeriods`, sim_ip_addresses: `${url}/IpAddresses` },
  };
}

export function ipJson(ctx: CloudContext, r: IpRow, base: string): Record<string, unknown> {
  return {
    sid: r.sid,
    account_sid: ctx.accountSid,
    sim_sid: r.sim_sid,
    sim_iccid: r.sim_iccid,
    status: r.status,
    direction: r.direction,
    device_ip: r.device_ip,
    device_port: r.device_port,
    payload_type: r.payload_type,
    payload: r.payload,
    date_created: iso(r.created_ms),
    date_updated: iso(r.updated_ms),
    url: `${base}/IpCommands/${r.sid}`,
  };
}

const str = (s: string | null): string => (s === null ? "null" : JSON.stringify(s));

/**
 * `JSON.stringify(ipJson(ctx, r, base))`, written by hand for the create path (same keys, same order, same
 * escaping): the hottest response of the mock (bench:cloud) skips building and walking an object.
 */
export function ipJsonText(accountSidJson: string, r: IpRow, base: string): string {
  return `{"sid":${str(r.sid)},"account_sid":${accountSidJson},"sim_sid":${str(r.sim_sid)},"sim_iccid":${str(r.sim_iccid)},` +
    `"status":${str(r.status)},"direction":${str(r.direction)},"device_ip":${str(r.device_ip)},"device_port":${r.device_port},` +
    `"payload_type":${str(r.payload_type)},"payload":${str(r.payload)},"date_created":"${iso(r.created_ms)}",` +
    `"date_updated":"${iso(r.updated_ms)}","url":${JSON.stringify(`${base}/IpCommands/${r.sid}`)}}`;
}

export function smsJson(ctx: CloudContext, r: SmsRow, base: string): Record<string, unknown> {
  return {
    sid: r.sid,
    account_sid: ctx.accountSid,
    sim_sid: r.sim_sid,
    payload: r.payload,
    status: r.status,
    direction: r.direction,
    date_created: iso(r.created_ms),
    date_updated: iso(r.updated_ms),
    url: `${base}/SmsCommands/${r.sid}`,
  };
}
