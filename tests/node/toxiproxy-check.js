// SPDX-License-Identifier: BSD-2-Clause
// Drives `tcpfault proxy --api` with the unmodified npm Toxiproxy client
// and measures each toxic's effect on a real connection through the proxy.
// Prints one "label value" line per check; tcpfault-proxy-client.sh pins
// the values. Usage: node toxiproxy-check.js http://127.0.0.1:APIPORT
"use strict";
const net = require("net");
const { Toxiproxy } = require("toxiproxy-node-client");

const api = process.argv[2];
const out = (label, value) => console.log(`${label} ${value}`);

// Upstream servers: an echo, and a source of N bytes ("N\n" asks for N).
function listen(onConn) {
  return new Promise((resolve) => {
    const srv = net.createServer(onConn);
    srv.listen(0, "127.0.0.1", () => resolve(srv));
  });
}

// One connection: send `data`, collect everything until EOF or error.
function exchange(port, data, opts = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const s = net.connect(port, "127.0.0.1");
    const r = { bytes: 0, chunks: 0, end: null, firstMs: null, ms: 0 };
    s.setNoDelay(true);
    s.on("connect", () => {
      if (data !== null) s.write(data);
      if (opts.halfClose) s.end();
    });
    s.on("data", (d) => {
      if (r.firstMs === null)
        r.firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
      r.bytes += d.length;
      r.chunks++;
      if (opts.until && r.bytes >= opts.until) s.end();
    });
    const done = (how) => {
      if (r.end !== null) return;
      r.end = how;
      r.ms = Number(process.hrtime.bigint() - t0) / 1e6;
      s.destroy();
      resolve(r);
    };
    s.on("end", () => done("eof"));
    s.on("error", (e) => done(e.code));
    s.on("close", () => done("close"));
  });
}

// The fastest round trip of `n` one-byte echoes on one connection: load
// on the machine only ever adds to a round trip, so the least is the
// closest to what the path itself costs.
function rtt(port, n) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    const times = [];
    let t0;
    s.setNoDelay(true);
    const ping = () => {
      t0 = process.hrtime.bigint();
      s.write("x");
    };
    s.on("connect", ping);
    s.on("data", () => {
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (times.length < n) return ping();
      s.destroy();
      resolve(Math.min(...times));
    });
    s.on("error", reject);
  });
}

// Add a toxic (downstream, toxicity 1 unless it says), make one exchange
// through it, remove it: what the exchange saw.
async function withToxic(proxy, toxic, port, request) {
  const t = await proxy.addToxic({ stream: "downstream", toxicity: 1,
    ...toxic });
  const r = await exchange(port, request);
  await t.remove();
  return r;
}

// The fastest of three pings on a live connection.
async function rtt1(live) {
  let best = Infinity;
  for (let i = 0; i < 3; i++)
    best = Math.min(best, await live.ping());
  return best;
}

// A connection kept open: ping() is one echo's round trip in ms.
function liveConn(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let waiting = null;
    s.setNoDelay(true);
    s.on("data", () => {
      const w = waiting;
      waiting = null;
      if (w) w(Number(process.hrtime.bigint() - w.t0) / 1e6);
    });
    s.on("error", reject);
    s.on("connect", () => resolve({
      ping: () => new Promise((res) => {
        waiting = res;
        waiting.t0 = process.hrtime.bigint();
        s.write("p");
      }),
      close: () => s.destroy(),
    }));
  });
}

async function main() {
  const echo = await listen((c) => {
    c.on("error", () => {});
    c.pipe(c);
  });
  const source = await listen((c) => {
    let buf = "";
    c.on("data", (d) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      c.end(Buffer.alloc(parseInt(buf.slice(0, nl), 10), 0x61));
    });
    c.on("error", () => {});
  });
  const tp = new Toxiproxy(api);
  out("version", JSON.parse(await tp.getVersion()).version !== undefined);

  const p = await tp.createProxy({ name: "echo", listen: "127.0.0.1:0",
    upstream: `127.0.0.1:${echo.address().port}` });
  const port = parseInt(p.listen.split(":").pop(), 10);
  out("created", `${p.name} ${p.enabled} ${p.upstream === `127.0.0.1:${echo.address().port}`}`);
  const src = await tp.createProxy({ name: "source", listen: "127.0.0.1:0",
    upstream: `127.0.0.1:${source.address().port}` });
  const sport = parseInt(src.listen.split(":").pop(), 10);
  out("proxies", Object.keys(await tp.getAll()).sort().join(","));

  // A connection open before any toxic: changes act on it too.
  const live = await liveConn(port);
  out("live.before", (await live.ping()) >= 0);

  // latency: the round trip grows by the latency asked, within 10%.
  const base = await rtt(port, 7);
  const lat = await p.addToxic({ type: "latency", stream: "downstream",
    toxicity: 1, attributes: { latency: 200, jitter: 0 } });
  out("latency.name", `${lat.name} ${lat.attributes.latency}`);
  const withLat = await rtt(port, 7);
  out("latency.within10pct", withLat >= 180 && withLat <= 220);
  console.error(`latency: without ${base.toFixed(2)} ms, with a 200 ms ` +
    `toxic ${withLat.toFixed(2)} ms`);
  const upd = await lat.update({ attributes: { latency: 100 } });
  out("latency.updated", upd.attributes.latency);
  const withUpd = await rtt(port, 7);
  out("latency.update.within10pct", withUpd >= 90 && withUpd <= 110);
  out("live.latency", (await live.ping()) >= 90);
  await lat.remove();
  // Without it, a round trip is under the 100 ms it would add.
  out("latency.removed", (await rtt(port, 7)) < 100);
  out("live.removed", (await rtt1(live)) < 100);
  live.close();

  // bandwidth: 20 KB/s, 20,000 bytes take about a second (>= 0.8 s).
  let r = await withToxic(src, { type: "bandwidth",
    attributes: { rate: 20 } }, sport, "20000\n");
  out("bandwidth", `${r.bytes} ${r.end} ${r.ms >= 800}`);
  console.error(`bandwidth: 20000 bytes at 20 KB/s in ${r.ms.toFixed(0)} ms`);

  // limit_data: exactly `bytes`, then the connection closes.
  r = await withToxic(src, { type: "limit_data",
    attributes: { bytes: 1000 } }, sport, "5000\n");
  out("limit_data", `${r.bytes} ${r.end}`);
  r = await exchange(sport, "5000\n");
  out("limit_data.removed", `${r.bytes} ${r.end}`);

  // reset_peer: the client's connection is reset.
  r = await withToxic(p, { type: "reset_peer", stream: "upstream",
    attributes: { timeout: 0 } }, port, "hello");
  out("reset_peer", `${r.bytes} ${r.end}`);

  // timeout: nothing gets through, then the connection closes.
  r = await withToxic(p, { type: "timeout", stream: "upstream",
    attributes: { timeout: 300 } }, port, "hello");
  out("timeout", `${r.bytes} ${r.end} ${r.ms >= 300}`);

  // slicer: every byte arrives, in several pieces. Slices 100 ms apart:
  // a client held back by a busy machine for less than that still reads
  // each one on its own.
  r = await withToxic(src, { type: "slicer", attributes: {
    average_size: 100, size_variation: 0, delay: 100000 } }, sport, "1000\n");
  out("slicer", `${r.bytes} ${r.end} ${r.chunks >= 5}`);
  console.error(`slicer: 1000 bytes in ${r.chunks} reads`);

  // slow_close: the FIN comes `delay` after the data.
  r = await withToxic(src, { type: "slow_close",
    attributes: { delay: 300 } }, sport, "10\n");
  out("slow_close", `${r.bytes} ${r.end} ${r.ms >= 300}`);

  // Toxics listed, then none after a reset; proxies removed.
  await p.addToxic({ type: "slow_close", stream: "downstream", toxicity: 1,
    attributes: { delay: 10 } });
  out("toxic.get", (await p.getToxic("slow_close_downstream")).type);
  await tp.reset();
  out("reset", JSON.stringify((await tp.get("echo")).toJson().enabled));
  r = await exchange(port, "abc", { until: 3 });
  out("after.reset", `${r.bytes}`);
  let err = "none";
  try {
    await p.addToxic({ type: "latency", attributes: { latency: -5 } });
  } catch (e) {
    err = e.message;
  }
  out("bad.attribute", err);
  // populate and update, as the client sends them.
  const pop = await tp.populate([{ name: "pop", listen: "127.0.0.1:0",
    upstream: `127.0.0.1:${echo.address().port}`, enabled: true }]);
  const off = await pop.pop.update({ ...pop.pop.toJson(), enabled: false });
  out("populate.update", `${Object.keys(pop).join(",")} ${off.enabled}`);
  await off.remove();
  await p.remove();
  await src.remove();
  out("after.remove", Object.keys(await tp.getAll()).length);
  echo.close();
  source.close();
}

main().catch((e) => {
  console.log(`error ${e.message}`);
  process.exit(1);
});
