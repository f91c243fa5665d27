/**
 * A bridge in its own process, for crash.test.ts: `node bridge-child.mjs '<options JSON>'`.
 * Starts the built bridge (run `npm run build` first), prints one line `{"url": …}` once it is listening,
 * then runs until it is killed. SIGTERM closes it cleanly (exit 0); stdin closing (the test process went
 * away) ends it too, so a crashed test run leaves nothing behind.
 */
import { startBridge } from "../../dist/host-tools/bridge/index.js";

const options = JSON.parse(process.argv[2] ?? "{}");
const bridge = await startBridge(options);
process.stdout.write(JSON.stringify({ url: bridge.url }) + "\n");

let stopping = false;
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  await bridge.close().catch(() => undefined);
  process.exit(code);
};
process.on("SIGTERM", () => void stop(0));
process.stdin.on("end", () => void stop(1));
process.stdin.resume();
