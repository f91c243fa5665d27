/** The pty helpers, the command-line parser, dialect details beyond the contract, and `simcmd modem`. */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { startCloud, type CloudHandle } from "../../host-tools/cloud/index.js";
import { parseCommandLine } from "../../host-tools/virtual-modem/at-parser.js";
import { openPty, startModem } from "../../host-tools/virtual-modem/index.js";
import { runModem } from "../../host-tools/cli/modem.js";
import { cli } from "../helpers/cli.js";
import { AtClient } from "./at-client.js";
import { TestNetwork } from "./test-network.js";

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("pty", () => {
  test.each(["socat", "python3"] as const)("%s: bytes both ways, link to the slave, no process left after close", async (helper) => {
    const p = await openPty({ helper });
    expect(p.helper).toBe(helper);
    expect(realpathSync(p.link)).toBe(p.path);
    const c = await AtClient.open(p.path);
    const got = new Promise<string>((resolve) => p.stream.once("data", (d: Buffer) => resolve(d.toString("latin1"))));
    await c.write("AT\r");
    expect(await got).toBe("AT\r");
    p.stream.write(Buffer.from([0x0d, 0x0a, 0x00, 0xff, 0x0d, 0x0a]));
    const g = await c.waitFor(/\r\n(.)\xff\r\n/s);
    expect(g[1]?.charCodeAt(0)).toBe(0);
    await c.close();
    const pid = execFileSync("sh", ["-c", `pgrep -f -- '${p.link}' || true`]).toString().trim();
    await p.close();
    expect(existsSync(p.link)).toBe(false);
    for (const id of pid.split("\n").filter(Boolean)) expect(alive(Number(id))).toBe(false);
  });
});

describe("command line parsing (V.250 §5.2–5.4)", () => {
  test("basic and extended commands, forms, quoted ';' and ','", () => {
    expect(parseCommandLine('ATE0V1+CMGF=0;+CPMS="SM","ME";+CSQ;+CEREG?;+CNMI=?;S3=13')?.map((c) => [c.name, c.form, c.args])).toEqual([
      ["E", "exec", ["0"]],
      ["V", "exec", ["1"]],
      ["+CMGF", "set", ["0"]],
      ["+CPMS", "set", ['"SM"', '"ME"']],
      ["+CSQ", "exec", []],
      ["+CEREG", "read", []],
      ["+CNMI", "test", []],
      ["S3", "set", ["13"]],
    ]);
    expect(parseCommandLine('AT+QIOPEN=1,0,"UDP SERVICE","a;b,c",0,6969,0')?.[0]?.args).toEqual(["1", "0", '"UDP SERVICE"', '"a;b,c"', "0", "6969", "0"]);
    expect(parseCommandLine("garbage")).toBeNull();
    expect(parseCommandLine("xxAT")).toEqual([]);
  });
});

describe("dialect details", () => {
  let net: TestNetwork;
  beforeAll(async () => {
    net = await TestNetwork.create();
  });
  afterAll(() => net.close());

  test("power-off commands of each manual, and +CPMS showing full storage under the storage-full fault", async () => {
    for (const [dialect, cmd, after] of [
      ["bg96", "AT+QPOWD=1", "POWERED DOWN"],
      ["sim7080", "AT+CPOWD=1", "NORMAL POWER DOWN"],
      ["sara-r4", "AT+CPWROFF", undefined],
    ] as const) {
      const h = await startModem({ dialect, network: net.link });
      const c = await AtClient.open(h.port);
      try {
        await c.at("ATE0");
        h.modem.faults.apply({ fault: "storage-full" });
        const cpms = await c.at("AT+CPMS?");
        const m = /^\+CPMS: "SM",(\d+),(\d+)/.exec(cpms.lines[0] ?? "");
        expect(m?.[1]).toBe(m?.[2]);
        const mark = c.mark();
        expect((await c.at(cmd)).final).toBe("OK");
        if (after !== undefined) await c.waitFor(new RegExp(after), mark);
      } finally {
        await c.close();
        await h.close();
      }
    }
  });

  test("BG96 push mode (+QIURC with data), UDP client socket and AT+QIRD counters", async () => {
    const h = await startModem({ dialect: "bg96", network: net.link });
    const c = await AtClient.open(h.port);
    try {
      await c.at("ATE0");
      await c.at("AT+QIACT=1");
      let m = c.mark();
      await c.at('AT+QIOPEN=1,3,"UDP SERVICE","127.0.0.1",0,7000,1');
      await c.waitFor(/\+QIOPEN: 3,0\r\n/, m);
      m = c.mark();
      net.toDevice(7000, Buffer.from("push!"));
      await c.waitFor(/\+QIURC: "recv",3,5,"100\.64\.0\.1",\d+\r\npush!\r\n/, m);
      m = c.mark();
      await c.at('AT+QIOPEN=1,4,"UDP","100.64.0.1",6970,0,0');
      await c.waitFor(/\+QIOPEN: 4,0\r\n/, m);
      const got = net.mo.next();
      expect((await c.atData("AT+QISEND=4,3", /> $/, "abc")).final).toBe("SEND OK");
      expect((await got).data.toString()).toBe("abc");
      expect((await c.at("AT+QISEND=4,0")).lines).toEqual(["+QISEND: 3,3,0"]);
      m = c.mark();
      await c.at('AT+QIOPEN=1,4,"UDP","100.64.0.1",6970,0,0');
      await c.waitFor(/\+QIOPEN: 4,563\r\n/, m);
      expect((await c.at("AT+QIRD=3,0")).lines).toEqual(["+QIRD: 5,5,0"]);
    } finally {
      await c.close();
      await h.close();
    }
  });

  test("SARA-R4 text mode and binary AT+USOST with the @ prompt; SIM7080 AT+CAOPEN client", async () => {
    const h = await startModem({ dialect: "sara-r4", network: net.link });
    const c = await AtClient.open(h.port);
    try {
      await c.at("ATE0");
      const r = await c.at("AT+USOCR=17,7100");
      expect(r.lines).toEqual(["+USOCR: 0"]);
      let got = net.mo.next();
      expect((await c.at('AT+USOST=0,"100.64.0.1",6970,5,"hello"')).lines).toEqual(["+USOST: 0,5"]);
      expect((await got).data.toString()).toBe("hello");
      got = net.mo.next();
      const b = await c.atData('AT+USOST=0,"100.64.0.1",6970,4', /@$/, Buffer.from([0, 1, 0x0d, 0xff]));
      expect(b.lines).toContain("+USOST: 0,4");
      expect((await got).data).toEqual(Buffer.from([0, 1, 0x0d, 0xff]));
      const m = c.mark();
      net.toDevice(7100, Buffer.from("txt"));
      await c.waitFor(/\+UUSORF: 0,3\r\n/, m);
      expect((await c.at("AT+USORF=0,3")).lines[0]).toMatch(/^\+USORF: 0,"100\.64\.0\.1",\d+,3,"txt"$/);
    } finally {
      await c.close();
      await h.close();
    }
    const s = await startModem({ dialect: "sim7080", network: net.link });
    const c2 = await AtClient.open(s.port);
    try {
      await c2.at("ATE0");
      const active = c2.mark();
      await c2.at("AT+CNACT=0,1");
      // The context's URC follows the OK: wait for it, or it lands in the next command's answer.
      await c2.waitFor(/\+APP PDP: 0,ACTIVE\r\n/, active);
      expect((await c2.at('AT+CAOPEN=1,0,"UDP","100.64.0.1",6970')).lines).toEqual(["+CAOPEN: 1,0"]);
      const got = net.mo.next();
      expect((await c2.atData("AT+CASEND=1,2", /\r\n>$/, "hi")).final).toBe("OK");
      expect((await got).data.toString()).toBe("hi");
      expect((await c2.at("AT+CARECV=1,100")).lines).toEqual(["+CARECV: 0"]);
    } finally {
      await c2.close();
      await s.close();
    }
  });

  test("AT+CFUN=1,1 resets and prints the boot URCs", async () => {
    const h = await startModem({ dialect: "bg96", network: net.link });
    const c = await AtClient.open(h.port);
    try {
      await c.at("ATE0");
      const m = c.mark();
      await c.at("AT+CFUN=1,1");
      await c.waitFor(/OK\r\n\r\nRDY\r\n[\s\S]*\+QIND: SMS DONE\r\n/, m);
      const m2 = c.mark();
      await c.at("AT");
      expect(c.rx.slice(m2)).toBe("AT\r\r\nOK\r\n"); // echo is back on
    } finally {
      await c.close();
      await h.close();
    }
  });
});

describe("simcmd modem", () => {
  let cloud: CloudHandle;
  beforeAll(async () => {
    cloud = await startCloud({ port: 0 });
  });
  afterAll(async () => cloud?.close());

  test("--help documents every option; bad usage exits 2", async () => {
    const help = await cli(["modem", "--help"]);
    expect(help.code).toBe(0);
    for (const o of ["--dialect", "--cloud", "--sim", "--account-sid", "--auth-token", "--json", "--pty-helper", "--sms-capacity", "--delay-ms", "--error-next", "--storage-full", "--trace"]) {
      expect(help.out).toContain(o);
    }
    expect((await cli(["modem", "--dialect", "nokia", "--cloud", "http://x", "--sim", "a"])).code).toBe(2);
    expect((await cli(["modem", "--dialect", "bg96", "--sim", "a"])).err).toContain("--cloud");
  });

  test("--json prints the port once it is open; stop detaches; stdin takes faults", async () => {
    const { client } = await import("./cloud-sim.js").then((x) => x.simClient(cloud));
    const sid = await (await import("./cloud-sim.js")).activeSim(client, "cli-modem");
    let out = "";
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let feed!: (line: string) => void;
    const lines = (async function* () {
      while (true) yield await new Promise<string>((r) => (feed = r));
    })();
    const printed = new Promise<void>((resolve) => {
      void runModem(
        ["--dialect", "sim7080", "--cloud", cloud.url, "--sim", "cli-modem", "--json", "--account-sid", cloud.accountSid, "--auth-token", cloud.authToken],
        { out: (t) => ((out += t), resolve()), err: () => undefined, lines: () => lines },
        stopped,
      ).then((code) => expect(code).toBe(0));
    });
    await printed;
    const info = JSON.parse(out) as { port: string; dialect: string; sim_sid: string };
    expect(info).toMatchObject({ dialect: "sim7080", sim_sid: sid });
    const c = await AtClient.open(info.port);
    expect((await c.at("AT+CCID")).final).toBe("OK");
    feed('{"fault": "error-next", "count": 1}');
    await Promise.resolve(); // the control line is applied in the same turn
    expect((await c.at("AT")).final).toBe("ERROR");
    await c.close();
    const detached = cloud.events.waitFor((e) => e.type === "sim.detached" && e.sim_sid === sid);
    stop();
    await detached;
  });
});
