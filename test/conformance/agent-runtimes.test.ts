/**
 * The device agent in the real XS engine and in Node: the same requests give the same answers,
 * SMS Commands arrive as SMS-DELIVER TPDUs and leave as SMS-SUBMIT TPDUs, and the record of
 * executed ids survives a restart through the host-served storage.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startAgent, type AgentRuntime } from "../../host-tools/device-host/agent-runtime.js";
import { decodePdu, encodePdu } from "../../host-tools/pdu/index.js";

const info = { version: "0.1.0", runtime: "test", modem: "none" };
const hex = (s: string) => Buffer.from(s, "utf8").toString("hex");
const text = (h: string) => Buffer.from(h, "hex").toString("utf8");
const SID = "HC" + "ab".repeat(16);
const END_SID = "DC" + "cd".repeat(16);

function deliver(body: string, originator = "000"): string {
  return encodePdu({ type: "deliver", originator, timestamp: "2026-11-21T12:00:00+00:00", text: body }, { smsc: false });
}

describe.each(["xs", "node"] as const)("agent in %s", (runtime) => {
  let dir: string;
  let agent: AgentRuntime;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "simcmd-agent-"));
    agent = await startAgent(runtime, info, path.join(dir, "store.json"));
  });
  afterAll(async () => {
    await agent.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("IP: text command → reply payload", async () => {
    expect(text((await agent.ip(hex("1 ping"))).hex)).toBe("1 ok pong");
    expect(text((await agent.ip(hex("2 echo Şişli 😀"))).hex)).toBe("2 ok Şişli 😀");
  });

  test("SMS: SMS-DELIVER with IncludeSid=start → RP-ACK report and an SMS-SUBMIT reply to the originator", async () => {
    const r = await agent.sms(deliver(`${SID} ping`, "2936"));
    expect(r.report).toBe("0000");
    expect(r.executed).toBe(true);
    expect(r.replies).toHaveLength(1);
    const submit = decodePdu(r.replies[0] as string, { smsc: false, direction: "mo" });
    expect(submit).toMatchObject({ type: "submit", destination: "2936", text: `${SID} ok pong` });
  });

  test("SMS: IncludeSid=end — the last word is the id, and the same SMS again is answered without running", async () => {
    const first = await agent.sms(deliver(`config set apn end-1 ${END_SID}`, "2936"));
    const again = await agent.sms(deliver(`config set apn end-2 ${END_SID}`, "2936"));
    const replies = [first, again].map((r) => decodePdu(r.replies[0] as string, { smsc: false, direction: "mo" }).text);
    expect(replies).toEqual([`${END_SID} ok end-1`, `${END_SID} ok end-1`]);
    expect([first.executed, again.executed]).toEqual([true, false]);
  });

  test("a duplicated command is executed once, also after a restart", async () => {
    expect(text((await agent.ip(hex("d1 config set apn first"))).hex)).toBe("d1 ok first");
    const again = await agent.ip(hex("d1 config set apn second"));
    expect(again.executed).toBe(false);
    expect(text(again.hex)).toBe("d1 ok first");
    await agent.close();
    agent = await startAgent(runtime, info, path.join(dir, "store.json"));
    const afterRestart = await agent.ip(hex("d1 config set apn third"));
    expect(afterRestart.executed).toBe(false);
    expect(text((await agent.ip(hex("d2 config get apn"))).hex)).toBe("d2 ok first");
  });

  test("a too-long payload gets an err reply, never a crash", async () => {
    const r = await agent.ip(hex("big echo " + "x".repeat(1400)));
    expect(text(r.hex)).toBe("err payload too long (1409 > 1300 octets)");
    expect(text((await agent.ip(hex("after ping"))).hex)).toBe("after ok pong");
  });

  test("a broken TPDU is acknowledged and reported, not fatal", async () => {
    const r = await agent.sms("0B");
    expect(r).toMatchObject({ report: "0000", replies: [], executed: false });
  });
});

describe("agent in Lua 5.3 (command parsing and reply path)", () => {
  let agent: AgentRuntime;
  beforeAll(async () => {
    agent = await startAgent("lua", info, undefined);
  });
  afterAll(async () => {
    await agent.close();
  });

  test("IP text commands, UTF-8 text included", async () => {
    expect(text((await agent.ip(hex("1 ping"))).hex)).toBe("1 ok pong");
    expect(text((await agent.ip(hex("2 echo Şişli 😀"))).hex)).toBe("2 ok Şişli 😀");
    expect(text((await agent.ip(hex("3 nope"))).hex)).toBe("3 err unknown command 'nope'");
  });

  test("SMS-DELIVER with IncludeSid=start → SMS-SUBMIT reply", async () => {
    const r = await agent.sms(deliver(`${SID} echo Ünïcode €`, "000"));
    const submit = decodePdu(r.replies[0] as string, { smsc: false, direction: "mo" });
    expect(submit).toMatchObject({ type: "submit", destination: "000", text: `${SID} ok Ünïcode €` });
  });

  test("SMS-DELIVER with IncludeSid=end → the SID is the id", async () => {
    const r = await agent.sms(deliver(`echo Ünïcode € ${END_SID}`, "000"));
    const submit = decodePdu(r.replies[0] as string, { smsc: false, direction: "mo" });
    expect(submit).toMatchObject({ type: "submit", destination: "000", text: `${END_SID} ok Ünïcode €` });
  });

  test("a repeated id is answered from the record", async () => {
    expect((await agent.ip(hex("r config set apn a"))).executed).toBe(true);
    const again = await agent.ip(hex("r config set apn b"));
    expect({ executed: again.executed, reply: text(again.hex) }).toEqual({ executed: false, reply: "r ok a" });
  });

  test("CBOR envelope", async () => {
    const r = await agent.ip("a2616962633161636470696e67"); // {"i": "c1", "c": "ping"}
    expect(r.hex).toBe("a26169626331617264706f6e67".toUpperCase()); // {"i": "c1", "r": "pong"}
  });
});
