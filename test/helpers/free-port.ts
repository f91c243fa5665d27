/**
 * Loopback ports for servers a test stops and starts again on the same port (a private broker, a bridge
 * behind a load balancer).
 */
import fs from "node:fs";
import net from "node:net";

/** The lowest local port Linux gives outgoing connections (ip_local_port_range); 32768 where it cannot be read. */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2048 ? low : 32768;
  } catch {
    return 32768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/**
 * A free loopback port below the range the kernel hands out to outgoing connections. A port from listen(0)
 * comes from that range, so while the test makes thousands of connections, one of them could take it as its
 * local port before the bridge restarted on it listens again (EADDRINUSE seen once in CI).
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow() - 1;
  const low = Math.max(1024, high - 12000);
  for (let i = 0; i < 200; i++) {
    // Math.random, not a seeded generator: parallel test processes must not try the same ports in turn.
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free loopback port in ${low}-${high}`);
}
