/** The simcmd library (DESIGN.md §3). */
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
