/**
 * A simulated call to a SIP Domain (docs/sip.md): the domain's auth mappings decide, then the domain's
 * voice webhooks are requested the way Twilio requests them for an inbound SIP call.
 *
 * Authentication (the SIP Domain must map at least one method "or requests to it will be blocked"):
 * - no credential list and no IP access control list mapped for calls → `blocked` (SIP 403);
 * - every mapped method must pass: the source IP inside an address (CIDR) of a mapped IP ACL, else
 *   `refused` with 32201 "Source IP address not in ACL"; a Username of a mapped credential list with its
 *   password, else `refused` with 32106 "SIP: Authentication Error" (SIP 403 after the digest challenge).
 *
 * Voice (accepted calls): `voice_url` with `voice_method`, signed (X-Twilio-Signature), with AccountSid,
 * ApiVersion, CallSid, CallStatus=ringing, Called, Caller, Direction=inbound, From, To, SipCallId, SipDomain,
 * SipDomainSid, SipSourceIp and SipUsername (credential calls). The answer must be 2xx TwiML (a `<Response>`
 * document, at most 64 KiB) within 15 s; otherwise `voice_fallback_url` is requested the same way plus
 * ErrorCode and ErrorUrl (11200 HTTP retrieval failure, 12100 document parse failure, 11750 response body too
 * large). TwiML from either → `completed` (the mock does not run TwiML: the call ends at once); neither →
 * `failed` with the error. Then `voice_status_callback_url` gets the final CallStatus through ctx.callbacks
 * (signed, retried, recorded in GET /_mock/callbacks) with CallDuration=0, Timestamp, CallbackSource and
 * SequenceNumber.
 */
import { randomUUID } from "node:crypto";
import { BlockList, isIPv4 } from "node:net";
import type { CloudContext } from "../../../context.js";
import { rfc2822Date } from "../../../dates.js";
import { twilioSignature } from "../../../../platform/signature.js";
import { API_VERSION } from "../common.js";
import { callMappings, credentialByUsername, ipAddressesOf, passwordMatches, updateCall, type CallDomain, type CallRow, type ListKind } from "./store.js";

export const VOICE_TIMEOUT_MS = 15_000;
export const MAX_TWIML_BYTES = 64 * 1024;

export type AuthOutcome =
  | { ok: true; methods: string[] }
  | { ok: false; status: "blocked" | "refused"; sipCode: 403; errorCode: number | null; message: string };

export interface CallerIdentity {
  sourceIp: string;
  username: string | null;
  password: string | null;
}

/** Applies the domain's call mappings to a caller. */
export function authenticate(ctx: CloudContext, domainSid: string, who: CallerIdentity): AuthOutcome {
  const maps = callMappings(ctx, domainSid);
  const of = (kind: ListKind) => maps.filter((m) => m.kind === kind).map((m) => m.sid);
  const acls = of("ip_access_control_list");
  const creds = of("credential_list");
  if (acls.length === 0 && creds.length === 0)
    return { ok: false, status: "blocked", sipCode: 403, errorCode: null, message: "The SIP Domain maps no credential list and no IP access control list: every request is blocked" };
  const methods: string[] = [];
  if (acls.length > 0) {
    const allowed = new BlockList();
    for (const a of acls) for (const ip of ipAddressesOf(ctx, a)) allowed.addSubnet(ip.ip_address, ip.cidr_prefix_length, "ipv4");
    if (!isIPv4(who.sourceIp) || !allowed.check(who.sourceIp, "ipv4"))
      return { ok: false, status: "refused", sipCode: 403, errorCode: 32201, message: `Source IP address ${who.sourceIp} not in ACL` };
    methods.push("IP_ACL");
  }
  if (creds.length > 0) {
    const username = who.username;
    const cred = username === null ? undefined : creds.map((l) => credentialByUsername(ctx, l, username)).find((c) => c !== undefined);
    if (!cred || who.password === null || !passwordMatches(who.password, cred.password_hash))
      return { ok: false, status: "refused", sipCode: 403, errorCode: 32106, message: "SIP: Authentication Error: unknown username or wrong password" };
    methods.push("CREDENTIAL_LIST");
  }
  return { ok: true, methods };
}

type Fetched = { ok: true; status: number } | { ok: false; code: number; message: string; status: number | null };

/** Reads at most `max` bytes of a body; null when it is longer. */
async function boundedText(res: Response, max: number): Promise<string | null> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const TWIML = /^\s*(<\?xml[^>]*\?>\s*)?<Response[\s/>]/;

export class SipCalls {
  private readonly inflight = new Set<AbortController>();
  private closed = false;

  constructor(private readonly ctx: CloudContext) {}

  close(): void {
    this.closed = true;
    for (const a of this.inflight) a.abort(new Error("cloud closed"));
  }

  /** Requests one voice URL, signed; resolves with whether it gave TwiML. Never rejects. */
  private async fetchTwiml(url: string, method: string, params: Record<string, string>): Promise<Fetched> {
    const form = new URLSearchParams(params).toString();
    const target = method === "GET" ? url + (url.includes("?") ? "&" : "?") + form : url;
    const headers: Record<string, string> = {
      "x-twilio-signature": twilioSignature(this.ctx.authToken, target, method === "POST" ? params : {}),
      "i-twilio-idempotency-token": randomUUID(),
      "user-agent": "TwilioProxy/1.1 (simcmd mock cloud)",
      accept: "*/*",
    };
    if (method === "POST") headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    const ac = new AbortController();
    this.inflight.add(ac);
    // a bound on waiting for the voice URL (real I/O): real time, whatever the cloud's clock does
    const timer = setTimeout(() => ac.abort(new Error("timeout")), VOICE_TIMEOUT_MS);
    try {
      const res = await fetch(target, { method, headers, body: method === "POST" ? form : undefined, signal: ac.signal });
      const text = await boundedText(res, MAX_TWIML_BYTES);
      if (res.status < 200 || res.status > 299) return { ok: false, code: 11200, message: `HTTP retrieval failure: HTTP ${res.status}`, status: res.status };
      if (text === null) return { ok: false, code: 11750, message: `TwiML response body too large (over ${MAX_TWIML_BYTES} bytes)`, status: res.status };
      if (!TWIML.test(text)) return { ok: false, code: 12100, message: "Document parse failure: the answer is not a TwiML <Response>", status: res.status };
      return { ok: true, status: res.status };
    } catch (e) {
      const why = ac.signal.aborted ? String((ac.signal.reason as Error | undefined)?.message ?? "aborted") : (e as Error).message;
      return { ok: false, code: 11200, message: `HTTP retrieval failure: ${why}`, status: null };
    } finally {
      clearTimeout(timer);
      this.inflight.delete(ac);
    }
  }

  /** Runs the voice webhooks of an accepted call (status `ringing`) to its end. Never rejects. */
  async run(call: CallRow, domain: CallDomain): Promise<void> {
    const base: Record<string, string> = {
      AccountSid: this.ctx.accountSid, ApiVersion: API_VERSION, CallSid: call.sid, CallStatus: "ringing", Called: call.to_addr,
      Caller: call.from_addr, Direction: "inbound", From: call.from_addr, To: call.to_addr, SipCallId: call.sip_call_id,
      SipDomain: domain.domain_name, SipDomainSid: domain.sid, SipSourceIp: call.source_ip,
    };
    if (call.username !== null) base.SipUsername = call.username;
    let outcome: Fetched = { ok: false, code: 11200, message: "HTTP retrieval failure: the SIP Domain has no voice_url", status: null };
    let answeredBy: string | null = null;
    if (domain.voice_url !== null) {
      outcome = await this.fetchTwiml(domain.voice_url, domain.voice_method, base);
      if (outcome.ok) answeredBy = "voice_url";
    }
    if (!outcome.ok && domain.voice_fallback_url !== null && !this.closed) {
      this.ctx.events.emit("sip_call.voice_failed", { call_sid: call.sid, domain_sid: domain.sid, error_code: outcome.code, message: outcome.message });
      const first = outcome;
      outcome = await this.fetchTwiml(domain.voice_fallback_url, domain.voice_fallback_method, { ...base, ErrorCode: String(first.code), ErrorUrl: domain.voice_url ?? "" });
      if (outcome.ok) answeredBy = "voice_fallback_url";
    }
    if (this.closed || !this.ctx.db.open) return;
    const done = outcome.ok
      ? updateCall(this.ctx, call.sid, { status: "completed", answered_by: answeredBy })
      : updateCall(this.ctx, call.sid, { status: "failed", error_code: outcome.code, error_message: outcome.message });
    if (!done) return;
    this.ctx.events.emit(`sip_call.${done.status}`, { call_sid: call.sid, domain_sid: domain.sid, answered_by: answeredBy, error_code: done.error_code });
    if (domain.voice_status_callback_url !== null) {
      this.ctx.callbacks.send({
        url: domain.voice_status_callback_url,
        method: domain.voice_status_callback_method === "GET" ? "GET" : "POST",
        kind: "sip_call.status",
        resourceSid: call.sid,
        errorCode: 11200,
        params: {
          ...base, CallStatus: done.status, CallDuration: 0, Duration: 0, Timestamp: rfc2822Date(this.ctx.now()),
          CallbackSource: "call-progress-events", SequenceNumber: 0, ErrorCode: done.error_code, ErrorMessage: done.error_message,
        },
      });
    }
  }
}
