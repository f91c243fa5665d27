/** The portable PDU codec: decode, encode, segment, reassemble (3GPP TS 23.040 / 23.038). */
export { decodeOctets, decodePdu, type DecodeOptions, type DecodeResult } from "./decode.js";
export { encodePdu, type EncodeOptions, type EncodeResult, type PduInput } from "./encode.js";
export { encodeSubmit, tpduLength, type SubmitOptions, type SubmitResult } from "./submit.js";
export { deliverReport, FCS_MEMORY_EXCEEDED } from "./deliver-report.js";
export { Reassembler, type Abandoned, type Reassembled, type ReassemblerOptions } from "./reassembly.js";
export type * from "./types.js";
export { PduError, type PduErrorInfo, type PduErrorKind, type PduWarning } from "../errors.js";
