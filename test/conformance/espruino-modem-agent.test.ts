/**
 * The Espruino modem bundle for the BG96 (dist/firmware/espruino/modem-agent-bg96.js, minified) as a plain script in a context
 * without Map/Set/Symbol…, its `Serial` an Espruino-style object over a real serial port (the
 * `serialport` package on the virtual BG96's pty), Espruino's setTimeout/getTime and a memory
 * Storage: it brings the modem up and answers an IP Command created with the official client.
 */
import fs from "node:fs";
import vm from "node:vm";
import { SerialPort } from "serialport";
import { startModem, type ModemHandle } from "../../host-tools/virtual-modem/index.js";
import { activeSim, cloudAndClient, Hooks, type Client } from "../cloud/harness.js";
import type { CloudHandle } from "../../host-tools/cloud/index.js";
import { BANNED_GLOBALS } from "./es5-check.js";
import { builtFile } from "./espruino-vm.js";

let cloud: CloudHandle;
let client: Client;
let hooks: Hooks;
let modem: ModemHandle;
let port: SerialPort;
let agent: { stop(): void; status(): { state: string } } | undefined;
const sim = "espruino-modem";
const timers = new Map<number, NodeJS.Timeout>();

beforeAll(async () => {
  ({ cloud, client } = await cloudAndClient());
  hooks = await Hooks.open();
  await activeSim(client, { ipCommandsUrl: `${hooks.url}/ip` }, sim);
  modem = await startModem({ dialect: "bg96", cloud: { url: cloud.url, sim, accountSid: cloud.accountSid, authToken: cloud.authToken } });
  port = new SerialPort({ path: modem.port, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
});

afterAll(async () => {
  agent?.stop();
  for (const t of timers.values()) clearTimeout(t);
  if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
  await modem?.close();
  await hooks?.close();
  await cloud?.close();
});

test("brings the BG96 up over the serial port and answers an IP Command", async () => {
  let nextId = 1;
  const files: Record<string, string> = {};
  const serial = {
    on: (_event: "data", cb: (d: string) => void) => port.on("data", (b: Buffer) => cb(b.toString("latin1"))),
    write: (d: string) => void port.write(Buffer.from(d, "latin1")),
  };
  const context = vm.createContext({
    require: () => ({ read: (n: string) => files[n], write: (n: string, d: string) => ((files[n] = d), true), erase: (n: string) => void delete files[n] }),
    getTime: () => Date.now() / 1000,
    setTimeout: (cb: () => void, ms: number) => {
      const id = nextId++;
      timers.set(id, setTimeout(() => (timers.delete(id), cb()), ms));
      return id;
    },
    clearTimeout: (id: number) => {
      clearTimeout(timers.get(id));
      timers.delete(id);
    },
  });
  vm.runInContext(BANNED_GLOBALS.map((g) => `delete globalThis.${g};`).join("\n"), context);
  vm.runInContext(fs.readFileSync(builtFile("dist/firmware/espruino/modem-agent-bg96.js"), "utf8"), context);
  const ready = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("the modem agent did not get ready within 15 s")), 15000);
    const api = (context as { simcmdModemAgent: { start(s: object): typeof agent } }).simcmdModemAgent;
    agent = api.start({
      serial,
      onState: (state: string) => {
        if (state === "ready") {
          clearTimeout(t);
          resolve();
        }
      },
    });
  });
  await ready;
  await client.supersim.v1.ipCommands.create({ sim, payload: "e1 info", devicePort: 6969 });
  const [hit] = await hooks.waitFor(1, (h) => h.url === "/ip" && new URLSearchParams(h.body).get("Direction") === "from_sim", 15000);
  const reply = Buffer.from(new URLSearchParams(hit?.body).get("Payload") ?? "", "base64").toString();
  expect(reply).toMatch(/^e1 ok simcmd 0\.1\.0 runtime=espruino uptime=\d+s modem=bg96$/);
  expect(Object.keys(files).some((k) => k.startsWith("sc.id"))).toBe(true);
});
