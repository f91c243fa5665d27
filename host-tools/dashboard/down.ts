/**
 * `POST /api/devices/:name/down`: the body is a downlink request as the bridge takes it, checked with the bridge's
 * own rules (host-tools/bridge/down-request.ts), so what the dashboard accepts the bridge does not reject as
 * malformed. What is published is the caller's JSON with its id filled in, as a backend would send it.
 */
import { parseRequest, Rejection } from "../bridge/down-request.js";
import { topicProblem } from "../bridge/topics.js";

/** The largest request body, in bytes. */
export const MAX_BODY_BYTES = 4096;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A device name is one topic level: no `/`, and no wildcard (`+`, `#`) or NUL, which MQTT forbids in the
 * topic of a PUBLISH [MQTT-3.3.2-2] [MQTT-1.5.3-2] (the bridge's topic rule, host-tools/bridge/topics.ts).
 */
export function checkDeviceName(name: string): void {
  if (name === "" || name.includes("/") || topicProblem(name) !== null)
    throw new HttpError(404, "not_found", `no device '${name}': a device name is one MQTT topic level, without /, + or #`);
}

/**
 * Validates `raw` and returns the JSON to publish with its id. `nextId` makes an id for a request without one.
 * Throws HttpError 400 with the bridge's reason codes: bad_json, bad_request, oversized, wrong_transport.
 */
export function downRequest(raw: Buffer, nextId: () => string): { id: string; body: string } {
  let req;
  try {
    req = parseRequest(raw, MAX_BODY_BYTES).req;
  } catch (e) {
    if (e instanceof Rejection) throw new HttpError(400, e.code, e.message);
    throw e;
  }
  const body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
  // parseRequest made up a random id when there was none; the dashboard's ids say where a request came from.
  const id = body["id"] === undefined ? nextId() : req.id;
  return { id, body: JSON.stringify({ ...body, id }) };
}
