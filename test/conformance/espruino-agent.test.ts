/**
 * The Espruino agent bundle (dist/firmware/espruino/agent.js) as a plain script in a context
 * without Map/Set/Symbol…, with Espruino's `dgram` and `Storage` modules provided over Node's real
 * UDP sockets and a memory store (their API as Espruino documents it: messages are byte strings,
 * `send(msg, offset, length, port, address)`). Verified by hand on a real Espruino build as well.
 */
import dgram from "node:dgram";
import fs from "node:fs";
import { once } from "node:events";
import vm from "node:vm";
import { BANNED_GLOBALS } from "./es5-check.js";
import { builtFile } from "./espruino-vm.js";

function espruinoDgram() {
  return {
    createSocket(type: "udp4") {
      const s = dgram.createSocket(type);
      return {
        on(_event: "message", cb: (msg: string, info: { address: string; port: number }) => void) {
          s.on("message", (m, r) => cb(m.toString("latin1"), { address: r.address, port: r.port }));
        },
        bind(port: number, cb: () => void) {
          s.bind(port, "127.0.0.1", cb);
        },
        send(msg: string, offset: number, length: number, port: number, address: string) {
          s.send(Buffer.from(msg.slice(offset, offset + length), "latin1"), port, address);
        },
        close() {
          s.close();
        },
      };
    },
  };
}

function storage(files: Record<string, string>) {
  return {
    read: (n: string) => files[n],
    write: (n: string, d: string) => ((files[n] = d), true),
    erase: (n: string) => void delete files[n],
    readJSON: (n: string) => (files[n] === undefined ? undefined : JSON.parse(files[n] as string)),
  };
}

async function freePort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function load(files: Record<string, string>) {
  const context = vm.createContext({
    require: (name: string) => (name === "dgram" ? espruinoDgram() : name === "Storage" ? storage(files) : undefined),
    getTime: () => Date.now() / 1000,
  });
  vm.runInContext(BANNED_GLOBALS.map((g) => `delete globalThis.${g};`).join("\n"), context);
  vm.runInContext(fs.readFileSync(builtFile("dist/firmware/espruino/agent.js"), "utf8"), context);
  return (context as { simcmdAgent: { start(c?: object): { stop(): void } } }).simcmdAgent;
}

test("answers IP Commands over UDP, text beyond Latin-1 included, and remembers ids in Storage", async () => {
  const files: Record<string, string> = {};
  const mo = dgram.createSocket("udp4");
  await new Promise<void>((r) => mo.bind(0, "127.0.0.1", r));
  const devicePort = await freePort();
  const run = async (cmds: string[]) => {
    const agent = load(files).start({ devicePort, mo: { host: "127.0.0.1", port: mo.address().port } });
    const dev = dgram.createSocket("udp4");
    const replies: string[] = [];
    try {
      for (const cmd of cmds) {
        const reply = once(mo, "message");
        dev.send(Buffer.from(cmd, "utf8"), devicePort, "127.0.0.1");
        replies.push(((await reply)[0] as Buffer).toString("utf8"));
      }
    } finally {
      dev.close();
      agent.stop();
    }
    return replies;
  };
  try {
    expect(await run(["1 ping", "2 echo Şişli 😀", "3 config set apn x"])).toEqual(["1 ok pong", "2 ok Şişli 😀", "3 ok x"]);
    expect(Object.keys(files).some((k) => k.startsWith("sc.id"))).toBe(true);
    // A restart (new script, same Storage): the id is answered from the record, not run again.
    expect(await run(["3 config set apn y", "4 config get apn"])).toEqual(["3 ok x", "4 ok x"]);
    // A command SID as the last word (IncludeSid=end) is the id: the same command again is not run again.
    const sid = "DC" + "0f".repeat(16);
    expect(await run([`config set apn z ${sid}`, `config set apn w ${sid}`, "5 config get apn"])).toEqual([`${sid} ok z`, `${sid} ok z`, "5 ok z"]);
  } finally {
    mo.close();
  }
});

test("settings not given to start() come from simcmd.json in Storage", async () => {
  const devicePort = await freePort();
  const mo = dgram.createSocket("udp4");
  await new Promise<void>((r) => mo.bind(0, "127.0.0.1", r));
  const files: Record<string, string> = {
    "simcmd.json": JSON.stringify({ devicePort, mo: { host: "127.0.0.1", port: mo.address().port }, version: "9.9.9", modem: "bg96" }),
  };
  const agent = load(files).start();
  const dev = dgram.createSocket("udp4");
  try {
    const reply = once(mo, "message");
    dev.send(Buffer.from("i info"), devicePort, "127.0.0.1");
    expect(((await reply)[0] as Buffer).toString()).toMatch(/^i ok simcmd 9\.9\.9 runtime=espruino uptime=\d+s modem=bg96$/);
  } finally {
    dev.close();
    agent.stop();
    mo.close();
  }
});
