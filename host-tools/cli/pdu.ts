/** `simcmd pdu decode|encode`: the PDU codec on the command line (docs/pdu.md). */
import { parseArgs } from "node:util";
import { decodeMany, type DecodeItem, type Runtime } from "../pdu/runtimes.js";
import { encodePdu, encodeSubmit, tpduLength, type PduInput, type SubmitOptions } from "../pdu/index.js";
import type { CliIo } from "./io.js";
import { intFlag, UsageError } from "./io.js";

const DECODE_HELP = `Usage: simcmd pdu decode [options] HEX…
       simcmd pdu decode --jsonl [options] < lines

Decodes SMS PDUs (3GPP TS 23.040) to JSON. One input prints one object, several print an array.

Options:
  --no-smsc              the hex is a bare TPDU (default: it starts with the SMSC field, as AT+CMGR gives it)
  --direction D          mt | mo | auto (default auto: MTI 0 = DELIVER, 1 = SUBMIT, 2 = STATUS-REPORT;
                         mo reads 0/2 as DELIVER-REPORT/COMMAND, mt reads 1 as SUBMIT-REPORT)
  --runtime R            node | xs | lua (default node): run the firmware decoder in that runtime
  --jsonl                read one input per line from stdin (hex, or {"pdu": HEX, "smsc": false, "direction": "mo"}),
                         write one JSON object per line; a bad line gives {"error": …} and the run continues
  -h, --help             this help

Exit status: 0 when every input decoded, 1 when any failed (its line holds {"error": {code, message}}), 2 on usage errors.
`;

const ENCODE_HELP = `Usage: simcmd pdu encode --to NUMBER (--text TEXT | --data-hex HEX) [options]
       simcmd pdu encode --from-json [--no-smsc] < pdu.json

Builds SMS-SUBMIT PDUs, one line per part (with --json: {"parts": [{"pdu", "tpdu_length"}]}).
tpdu_length is what AT+CMGS=<length> takes (27.005 §3.5.1).

Options:
  --to NUMBER            destination: +31612345678, 2936, 000, or an alphanumeric name
  --text TEXT            message text
  --data-hex HEX         8-bit data instead of text
  --alphabet A           auto | gsm7 | ucs2 | 8bit (default auto: GSM 7-bit when the text fits, else UCS2)
  --language N           national language shift tables (1 Turkish, 2 Spanish, 3 Portuguese); default none
  --smsc NUMBER          SMSC field value (default: 00, the SMSC stored in the modem)
  --no-smsc              omit the SMSC field (bare TPDU)
  --status-report        request a status report (TP-SRR); default off
  --validity MINUTES     relative validity period (rounded up to the next TP-VP step); default none
  --ref N                concatenation reference, 0-255 (0-65535 with --concat16); default random
  --concat16             16-bit concatenation reference (IEI 08); default 8-bit (IEI 00)
  --class N              message class 0-3; default none
  --port DEST[:SRC]      application port addressing (UDH IEI 04/05); default none
  --from-json            read one PDU object (the shape decode prints, any type it produces) from stdin and encode it
  --json                 print JSON instead of one hex line per part
  -h, --help             this help
`;


function runtimeOf(v: string | undefined): Runtime {
  const r = v ?? "node";
  if (r !== "node" && r !== "xs" && r !== "lua") throw new UsageError(`--runtime must be node, xs or lua, got '${r}'`);
  return r;
}

function directionOf(v: unknown): "mt" | "mo" | "auto" {
  const d = v ?? "auto";
  if (d !== "mt" && d !== "mo" && d !== "auto") throw new UsageError(`--direction must be mt, mo or auto, got '${String(d)}'`);
  return d;
}

/** A --jsonl line: hex, or a JSON object with pdu/smsc/direction. Returns an error object for a bad line. */
function parseLine(line: string, smsc: boolean, direction: "mt" | "mo" | "auto"): DecodeItem | { error: { code: string; message: string } } {
  const t = line.trim();
  if (!t.startsWith("{")) return { hex: t, smsc, direction };
  let o: unknown;
  try {
    o = JSON.parse(t);
  } catch {
    return { error: { code: "invalid-json", message: "line is neither hex nor a JSON object" } };
  }
  if (typeof o !== "object" || o === null || typeof (o as { pdu?: unknown }).pdu !== "string") {
    return { error: { code: "invalid-json", message: 'JSON line needs a string "pdu"' } };
  }
  const r = o as { pdu: string; smsc?: unknown; direction?: unknown };
  if (r.direction !== undefined && r.direction !== "mt" && r.direction !== "mo" && r.direction !== "auto") {
    return { error: { code: "invalid-json", message: '"direction" must be "mt", "mo" or "auto"' } };
  }
  return { hex: r.pdu.trim(), smsc: r.smsc === undefined ? smsc : r.smsc !== false, direction: (r.direction as "mt" | "mo" | "auto" | undefined) ?? direction };
}

async function decodeCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      "no-smsc": { type: "boolean" },
      direction: { type: "string" },
      runtime: { type: "string" },
      jsonl: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return io.out(DECODE_HELP), 0;
  const runtime = runtimeOf(values.runtime);
  const direction = directionOf(values.direction);
  const smsc = values["no-smsc"] !== true;
  if (values.jsonl) {
    if (positionals.length > 0) throw new UsageError("--jsonl reads stdin; do not give HEX arguments too");
    let failed = 0;
    const batch: (DecodeItem | { error: { code: string; message: string } })[] = [];
    const flush = async () => {
      const items = batch.splice(0);
      const todo = items.filter((x): x is DecodeItem => !("error" in x));
      const results = await decodeMany(todo, runtime);
      let k = 0;
      for (const item of items) {
        const r = "error" in item ? item : results[k++];
        if (r !== undefined && "error" in r) failed++;
        io.out(JSON.stringify(r) + "\n");
      }
    };
    for await (const line of io.lines()) {
      if (line.trim() === "") continue;
      batch.push(parseLine(line, smsc, direction));
      if (batch.length >= 256) await flush();
    }
    await flush();
    return failed > 0 ? 1 : 0;
  }
  if (positionals.length === 0) throw new UsageError("give at least one HEX PDU (or --jsonl)");
  const results = await decodeMany(positionals.map((hex) => ({ hex: hex.trim(), smsc, direction })), runtime);
  io.out(JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + "\n");
  return results.some((r) => "error" in r) ? 1 : 0;
}

function parsePort(v: string | undefined): SubmitOptions["ports"] {
  if (v === undefined) return undefined;
  const [d, s] = v.split(":");
  const dest = intFlag("port", d, 0, 65535) as number;
  return { dest, src: s === undefined ? dest : (intFlag("port", s, 0, 65535) as number) };
}

async function encodeCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      to: { type: "string" },
      text: { type: "string" },
      "data-hex": { type: "string" },
      alphabet: { type: "string" },
      language: { type: "string" },
      smsc: { type: "string" },
      "no-smsc": { type: "boolean" },
      "status-report": { type: "boolean" },
      validity: { type: "string" },
      ref: { type: "string" },
      concat16: { type: "boolean" },
      class: { type: "string" },
      port: { type: "string" },
      "from-json": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  void positionals;
  if (values.help) return io.out(ENCODE_HELP), 0;
  let parts: string[];
  const includeSmsc = values["no-smsc"] !== true;
  try {
    if (values["from-json"]) {
      let body = "";
      for await (const line of io.lines()) body += line + "\n";
      let obj: unknown;
      try {
        obj = JSON.parse(body);
      } catch {
        throw new UsageError("--from-json: stdin is not a JSON object");
      }
      if (typeof obj !== "object" || obj === null || typeof (obj as { type?: unknown }).type !== "string") {
        throw new UsageError('--from-json: the object needs a "type" (submit, deliver, status-report, command)');
      }
      parts = [encodePdu(obj as PduInput, { smsc: includeSmsc })];
    } else {
      if (values.to === undefined) throw new UsageError("--to is required");
      if ((values.text === undefined) === (values["data-hex"] === undefined)) throw new UsageError("give exactly one of --text and --data-hex");
      const alphabet = values.alphabet ?? "auto";
      if (!["auto", "gsm7", "ucs2", "8bit"].includes(alphabet)) throw new UsageError(`--alphabet must be auto, gsm7, ucs2 or 8bit, got '${alphabet}'`);
      const concat16 = values.concat16 === true;
      const options: SubmitOptions = {
        to: values.to,
        alphabet: alphabet as SubmitOptions["alphabet"],
        includeSmsc,
        statusReport: values["status-report"] === true,
        concat16,
        ref: intFlag("ref", values.ref, 0, concat16 ? 65535 : 255) ?? Math.floor(Math.random() * (concat16 ? 65536 : 256)),
      };
      if (values.text !== undefined) options.text = values.text;
      if (values["data-hex"] !== undefined) options.dataHex = values["data-hex"];
      if (values.smsc !== undefined) options.smsc = values.smsc;
      const language = intFlag("language", values.language, 1, 3);
      if (language !== undefined) options.language = language;
      const validity = intFlag("validity", values.validity, 1, 63 * 7 * 24 * 60);
      if (validity !== undefined) options.validityMinutes = validity;
      const cls = intFlag("class", values.class, 0, 3);
      if (cls !== undefined) options.messageClass = cls;
      const ports = parsePort(values.port);
      if (ports !== undefined) options.ports = ports;
      parts = encodeSubmit(options);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const err = e as { code?: string; message: string };
    io.out(JSON.stringify({ error: { code: err.code ?? "internal", message: err.message } }) + "\n");
    return 1;
  }
  if (values.json) {
    const rows = parts.map((p) => ({ pdu: p, tpdu_length: includeSmsc ? tpduLength(p) : p.length / 2 }));
    io.out(JSON.stringify({ parts: rows }, null, 2) + "\n");
  } else {
    io.out(parts.join("\n") + "\n");
  }
  return 0;
}

export async function runPdu(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "decode") return decodeCommand(rest, io);
  if (sub === "encode") return encodeCommand(rest, io);
  if (sub === undefined || sub === "--help" || sub === "-h") {
    io.out("Usage: simcmd pdu decode|encode [options]   (simcmd pdu decode --help)\n");
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown pdu command '${sub}' (decode or encode)`);
}
