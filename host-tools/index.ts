/** The simcmd library: what the package exports beside the `simcmd` CLI (README.md). */
export {
  decodePdu,
  encodePdu,
  encodeSubmit,
  tpduLength,
  Reassembler,
  PduDecodeError,
  PduIncompleteError,
  type DecodePduOptions,
  type Pdu,
  type PduInput,
  type SubmitOptions,
} from "./pdu/index.js";
export { run as runCli } from "./cli/main.js";
export { startCloud, DEV_ACCOUNT_SID, DEV_AUTH_TOKEN, type CloudOptions, type CloudHandle } from "./cloud/index.js";
export { twilioClient, type TwilioClientOptions } from "./platform/twilio-client.js";
export { validateSignature, validateKoreSignature, twilioSignature, koreSignature } from "./platform/signature.js";
export { startBridge, type BridgeOptions, type BridgeHandle } from "./bridge/index.js";
export { startDev, type DevOptions, type DevHandle } from "./local-stack/index.js";
export { startDashboard, type DashboardOptions, type DashboardHandle } from "./dashboard/index.js";
