/** The command agent (docs/agent.md): envelopes, ids, dedupe across restarts, limits. */
import { Decoder, Encoder } from "cbor-x";
import { Agent, type AgentOptions } from "../../firmware/agent/agent.js";
import { MemoryStore } from "../../firmware/hal/storage.js";
import { utf16Text } from "../../firmware/core/text.js";

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });
const uncbor = new Decoder({ useRecords: false, mapsAsObjects: true });

function agent(store = new MemoryStore(), extra: Partial<AgentOptions> = {}, now = { t: 0 }) {
  return new Agent({
    storage: store,
    clock: { now: () => now.t },
    text: utf16Text,
    info: { version: "0.1.0", runtime: "node", modem: "bg96" },
    ...extra,
  });
}

const ipText = (a: Agent, s: string) => Buffer.from(a.handle({ transport: "ip", bytes: [...Buffer.from(s, "utf8")] }).bytes ?? []).toString("utf8");
const SID = "HC" + "0123456789abcdef".repeat(2);
const WSID = "DC" + "fedcba9876543210".repeat(2);

describe("text commands", () => {
  test.each([
    ["ping", "ok pong"],
    ["42 ping", "42 ok pong"],
    ["  req-7   echo hello  world ", "req-7 ok hello  world"],
    [`${SID} ping`, `${SID} ok pong`],
    [`${SID} 9 ping`, "9 ok pong"],
    // IncludeSid=end: the SID is the last word.
    [`ping ${SID}`, `${SID} ok pong`],
    [`echo hello  world ${SID}`, `${SID} ok hello  world`],
    [`9 ping ${SID}`, "9 ok pong"],
    [` ${SID} `, `${SID} err empty command`],
    // A SID at the start is the platform's; one at the end is then an argument.
    [`${SID} echo ${WSID}`, `${SID} ok ${WSID}`],
    // Not a SID: wrong length, upper-case hex, another prefix.
    [`echo a ${SID}0`, `ok a ${SID}0`],
    [`echo a ${SID.toUpperCase()}`, `ok a ${SID.toUpperCase()}`],
    [`echo a XC${SID.slice(2)}`, `ok a XC${SID.slice(2)}`],
    ["frobnicate", "err unknown command 'frobnicate'"],
    ["x1 frobnicate now", "x1 err unknown command 'frobnicate'"],
    ["", "err empty command"],
    ["c1 config get nosuchkey", "c1 err unknown key (one of device_port, mo_address, transport, sim, modem, apn)"],
  ])("%j → %j", (cmd, reply) => {
    expect(ipText(agent(), cmd)).toBe(reply);
  });

  test("info reports version, runtime, uptime and modem", () => {
    const now = { t: 1000 };
    const a = agent(new MemoryStore(), {}, now);
    now.t = 66_000;
    expect(ipText(a, "i info")).toBe("i ok simcmd 0.1.0 runtime=node uptime=65s modem=bg96");
  });

  test("text beyond Latin-1 survives the round trip", () => {
    expect(ipText(agent(), "e echo Şişli € 😀")).toBe("e ok Şişli € 😀");
  });
});

describe("an id is executed once", () => {
  test("a repeated id gets the first reply and does not run again", () => {
    const store = new MemoryStore();
    const a = agent(store);
    expect(ipText(a, "a config set apn one")).toBe("a ok one");
    const again = a.handle({ transport: "ip", bytes: [...Buffer.from("a config set apn two")] });
    expect(Buffer.from(again.bytes!).toString()).toBe("a ok one");
    expect(again.executed).toBe(false);
    expect(ipText(a, "b config get apn")).toBe("b ok one");
  });

  test.each(["start", "end"] as const)("an SMS sent again with IncludeSid=%s runs once and is answered alike", (includeSid) => {
    const store = new MemoryStore();
    const a = agent(store);
    const sms = (body: string) => a.handle({ transport: "sms", text: includeSid === "start" ? `${WSID} ${body}` : `${body} ${WSID}` });
    const first = sms("config set apn one");
    const again = sms("config set apn one");
    expect([first.text, again.text]).toEqual([`${WSID} ok one`, `${WSID} ok one`]);
    expect([first.executed, again.executed]).toEqual([true, false]);
    expect(store.get("c.apn")).toBe("one");
  });

  test("the record survives a restart (same storage, new agent)", () => {
    const store = new MemoryStore();
    ipText(agent(store), "r1 config set sim first");
    const restarted = agent(store);
    expect(ipText(restarted, "r1 config set sim second")).toBe("r1 ok first");
    expect(store.get("c.sim")).toBe("first");
  });

  test("the record is bounded: the oldest id is forgotten first", () => {
    const store = new MemoryStore();
    const a = agent(store, { maxIds: 3 });
    for (const id of ["i1", "i2", "i3", "i4"]) ipText(a, `${id} ping`);
    expect(a.handle({ transport: "ip", bytes: [...Buffer.from("i2 ping")] }).executed).toBe(false);
    expect(a.handle({ transport: "ip", bytes: [...Buffer.from("i1 ping")] }).executed).toBe(true);
    expect(Object.keys(store.values).filter((k) => k.startsWith("id")).length).toBe(4); // id0-id2 + idn
  });

  test("a damaged stored entry is forgotten, not fatal", () => {
    const store = new MemoryStore();
    store.set("id0", "zz:q:not hex");
    store.set("idn", "banana");
    expect(ipText(agent(store), "ok1 ping")).toBe("ok1 ok pong");
  });
});

describe("CBOR envelopes", () => {
  const call = (a: Agent, v: unknown) => uncbor.decode(Buffer.from(a.handle({ transport: "ip", bytes: [...cbor.encode(v)] }).bytes!));

  test("{i, c, a} → {i, r}", () => {
    expect(call(agent(), { i: "x1", c: "ping" })).toEqual({ i: "x1", r: "pong" });
    expect(call(agent(), { i: 7, c: "echo", a: { n: [1, 2] } })).toEqual({ i: "7", r: { n: [1, 2] } });
    expect(call(agent(), { i: "c", c: "config", a: ["set", "apn", "super"] })).toEqual({ i: "c", r: "super" });
  });

  test("info is a map", () => {
    expect(call(agent(), { i: "n", c: "info" })).toEqual({ i: "n", r: { version: "0.1.0", runtime: "node", uptime_s: 0, modem: "bg96" } });
  });

  test("errors are {i, e}", () => {
    expect(call(agent(), { i: "u", c: "nope" })).toEqual({ i: "u", e: "unknown command 'nope'" });
    expect(call(agent(), { i: "u" })).toEqual({ i: "u", e: "CBOR envelope needs a command name in c" });
    const truncated = agent().handle({ transport: "ip", bytes: [0xa2, 0x61, 0x69] });
    expect(uncbor.decode(Buffer.from(truncated.bytes!))).toEqual({ i: "", e: "bad CBOR: truncated" });
  });
});

describe("limits", () => {
  test("an IP payload over 1300 octets gets an err reply", () => {
    const big = [...Buffer.from("p echo " + "x".repeat(1300))];
    expect(Buffer.from(agent().handle({ transport: "ip", bytes: big }).bytes!).toString()).toBe("err payload too long (1307 > 1300 octets)");
  });

  test("a 1300-octet IP payload is fine", () => {
    const s = "p echo " + "x".repeat(1293);
    expect(ipText(agent(), s)).toBe("p ok " + "x".repeat(1293));
  });

  test("SMS: text beyond two concatenated SMS, and replies that would not fit one, get err", () => {
    const a = agent();
    expect(a.handle({ transport: "sms", text: "x".repeat(307) }).text).toBe("err message too long (more than 2 concatenated SMS)");
    expect(a.handle({ transport: "sms", text: "日".repeat(135) }).text).toBe("err message too long (more than 2 concatenated SMS)");
    // IncludeSid=start with the longest body a Command allows (128 characters): 163 septets, two SMS.
    const sid = "DC" + "0123456789abcdef".repeat(2);
    expect(a.handle({ transport: "sms", text: `${sid} echo ${"w".repeat(122)}` }).text).toBe(`${sid} ok ${"w".repeat(122)}`);
    const sid2 = "DC" + "fedcba9876543210".repeat(2);
    expect(a.handle({ transport: "sms", text: `${sid2} echo ${"日".repeat(32)}` }).text).toBe(`${sid2} ok ${"日".repeat(32)}`);
    ipText(a, "set config set apn " + "z".repeat(170));
    expect(a.handle({ transport: "sms", text: "g config get apn" }).text).toBe("g err reply too long for one SMS");
    expect(a.handle({ transport: "sms", text: "t echo " + "y".repeat(140) }).text).toBe("t ok " + "y".repeat(140));
    expect(a.handle({ transport: "sms", bytes: new Array(141).fill(0x41) }).text).toBe("err payload too long (141 > 140 octets)");
  });
});
