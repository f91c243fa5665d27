/**
 * API 2010 (`/api/2010-04-01/…`, or Host api.twilio.com): SIP Domains with their credential-list and
 * IP-ACL mappings, the CredentialLists and IpAccessControlLists they map, simulated calls to a domain
 * (`POST /_mock/sip/calls`), and Messages (with the mock's messaging admin routes, and SMS between the account's
 * numbers and SIMs that have a phone number). Each of sip/ and messages/ has its
 * routes.ts (sip/ also domain-routes.ts), store.ts and network.ts.
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../../context.js";
import { onMoToNumber } from "./messages/network.js";
import { registerMessageRoutes } from "./messages/routes.js";
import { createTables as createMessageTables } from "./messages/store.js";
import { registerSipDomains } from "./sip/domain-routes.js";
import { registerSipCalls, registerSipLists } from "./sip/routes.js";
import { createTables as createSipTables } from "./sip/store.js";

export function registerApi2010(app: FastifyInstance, ctx: CloudContext): void {
  createSipTables(ctx);
  registerSipDomains(app, ctx);
  registerSipLists(app, ctx);
  registerSipCalls(app, ctx);
  createMessageTables(ctx);
  ctx.retain("api_messages");
  registerMessageRoutes(app, ctx);
  ctx.network.onMoSmsToNumber((sim, m) => onMoToNumber(ctx, sim, m));
}
