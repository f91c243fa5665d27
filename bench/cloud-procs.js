// The parent's side of bench/cloud-child.js: forks a child in a role and talks to it.
//
//   const cloud = await child("cloud", { dist, cpuProf });   // cloud.ready: what the child announced (url, …)
//   const { user, system } = await cloud.call("cpu");         // CPU µs the child used so far
//   await cloud.close();                                      // its --cpu-prof profile is written on exit
import { fork } from "node:child_process";
import { URLSearchParams } from "node:url";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** `opts.dist`: dist/ to load the cloud from; `opts.cpuProf`: a directory for a --cpu-prof profile; `opts.env`. */
export function child(role, opts = {}) {
  // --expose-gc: the growth bench collects the seeding's garbage before it measures (cloud-child.js "gc").
  const execArgv = ["--expose-gc", ...(opts.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProf}`, `--cpu-prof-name=${role}.cpuprofile`] : [])];
  const args = [role, ...(opts.dist ? [opts.dist] : [])];
  const proc = fork(path.join(here, "cloud-child.js"), args, { execArgv, env: { ...process.env, ...opts.env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  // A child never outlives the bench (e.g. when a sibling failed to start and the bench gave up).
  const reap = () => proc.kill();
  process.once("exit", reap);
  proc.once("exit", () => process.off("exit", reap));
  const waiting = new Map();
  let next = 1;
  let announce;
  const ready = new Promise((resolve, reject) => {
    announce = resolve;
    proc.once("exit", (code) => reject(new Error(`bench child '${role}' exited with ${code} before it was ready`)));
  });
  proc.on("message", (m) => {
    if (m.id === 0) return announce(m);
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error) w?.reject(new Error(`bench child '${role}': ${m.error}`));
    else w?.resolve(m);
  });
  const call = (cmd, extra = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      proc.send({ id, cmd, ...extra });
    });
  return ready.then((r) => ({
    ready: r,
    pid: proc.pid,
    call,
    /** CPU ms the child used so far: {user, system}. */
    cpuMs: async () => {
      const c = await call("cpu");
      return { user: c.user / 1000, system: c.system / 1000 };
    },
    close: async () => {
      const exited = new Promise((resolve) => proc.once("exit", resolve));
      await call("close").catch(() => undefined);
      await exited;
    },
  }));
}

/**
 * Calls the mock cloud a child announced (`ready`: {url, accountSid, authToken}) with its credentials:
 * `await api("POST", "/supersim/v1/Fleets", {NetworkAccessProfile: "x"})` (form) or (…, body, "json").
 */
export function cloudApi(ready) {
  const auth = "Basic " + Buffer.from(`${ready.accountSid}:${ready.authToken}`).toString("base64");
  const api = async (method, path, body, type = "form") => {
    const res = await fetch(ready.url + path, {
      method,
      headers: { authorization: auth, "content-type": type === "json" ? "application/json" : "application/x-www-form-urlencoded" },
      body: body === undefined ? undefined : type === "json" ? JSON.stringify(body) : new URLSearchParams(body).toString(),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  api.headers = { authorization: auth, "content-type": "application/x-www-form-urlencoded" };
  return api;
}
