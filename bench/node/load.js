// The benchmark's Node load generator (issue 15): socket.io-client 4 over the websocket transport,
// offering permessage-deflate as a browser does (unless --no-deflate), sharded over `processes` child
// processes so that the client is not what limits a run. Each figure it prints comes with every
// process's CPU share (CPU seconds / elapsed seconds): a share near 1 (past ~0.7) means that process
// may have been the bottleneck, and the run should be repeated with more processes. Beside them, the
// machine's idle share over the same time (all cores, /proc/stat): near 0, every process was short of
// cores (the machine is shared), whatever its own share says.
//
// Two modes, each speaking what the Python client of the same scenario speaks:
//
//   node load.js connect URL --tokens FILE [--concurrency 100] [--processes 2] [--no-deflate]
//     bench/connect_client.py's protocol: commands on stdin, one a line, one JSON line each on stdout:
//       open N   open N more connections (tokens used in turn) and hold them idle
//                -> {opened, failed, seconds, held, errors, client_processes, client_cpu_shares}
//       close    close them all and exit -> {closed: true}
//
//   node load.js fanout < job.json
//     bench/fanout_client.py's job (url, sender_token, receiver_tokens, conversation_id, messages,
//     windows, tag, server_pid, timeout) plus `processes`, `deflate`, `rates`, `seconds` and
//     `stop_p99_ms`: one JSON result {connect_s, phases: [...], client_processes} on stdout. A window
//     phase is closed-loop (up to W sends in flight); a rate phase is open-loop: `rate` sends a second
//     for `seconds` (or `messages` sends) on a fixed schedule that a slow server cannot slow down, each
//     one's latency counted from its scheduled time; the rates stop after one whose fan-out p99 passed
//     `stop_p99_ms` or that timed out (saturation: higher rates would only measure the backlog).
//
// The sender runs in this (the coordinating) process, the receivers in the children; times are
// process.hrtime (CLOCK_MONOTONIC), the same clock in every process of the machine.
"use strict";

const { fork } = require("child_process");
const fs = require("fs");
const path = require("path");
const readline = require("readline");
const { parseArgs } = require("util");
const { cores, cpuMicroseconds, machineIdleSeconds, now, openSocket, pool } = require("./sockets");

const FANOUT_CONNECT_CONCURRENCY = 10; // as bench/fanout_client.py: a storm would measure the login path
const BODY = "fan-out benchmark message, about the size of a short chat line; ".repeat(2);

// The coordinator: starts the shards and speaks to them one request at a time.
class Shard {
  constructor() {
    // The child's stdout goes to our stderr: our stdout carries the JSON results only.
    this.child = fork(path.join(__dirname, "shard.js"), [], { stdio: ["ignore", 2, 2, "ipc"] });
    this.replies = [];
    this.done = null;
    this.child.on("message", (message) => {
      if (message.type === "done") {
        if (this.done) this.done(message.at);
      } else {
        this.replies.shift().resolve(message);
      }
    });
    this.child.on("exit", (code) => {
      for (const reply of this.replies.splice(0)) reply.reject(new Error(`a load shard exited (${code})`));
    });
  }

  request(command) {
    return new Promise((resolve, reject) => {
      this.replies.push({ resolve, reject });
      this.child.send(command);
    });
  }

  async cpu() {
    return (await this.request({ cmd: "cpu" })).cpu;
  }

  close() {
    return this.request({ cmd: "close" }).catch(() => null);
  }
}

function startShards(processes) {
  return Array.from({ length: Math.max(1, processes) }, () => new Shard());
}

// Splits `items` over `parts` contiguous slices of (nearly) equal size.
function split(items, parts) {
  const slices = [];
  for (let part = 0; part < parts; part += 1) {
    slices.push(items.slice(Math.floor((part * items.length) / parts), Math.floor(((part + 1) * items.length) / parts)));
  }
  return slices;
}

function mergeDisconnects(collected) {
  return mergeErrors(collected.map((shard) => ({ errors: shard.disconnects })));
}

function mergeErrors(results) {
  const errors = {};
  for (const result of results) {
    for (const [reason, count] of Object.entries(result.errors)) errors[reason] = (errors[reason] || 0) + count;
  }
  return errors;
}

const round = (value, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

// ------------------------------------------------------------------ connect mode

async function connectMode(positionals, options) {
  const url = positionals[1];
  const tokens = fs.readFileSync(options.tokens, "utf8").split(/\s+/).filter(Boolean);
  const shards = startShards(Number(options.processes));
  const concurrency = Math.max(1, Math.ceil(Number(options.concurrency) / shards.length));
  let held = 0;
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [command, argument] = line.trim().split(/\s+/);
    if (command === "open") {
      const numbers = Array.from({ length: Number(argument) }, (_, index) => held + index);
      const cpuBefore = await Promise.all(shards.map((shard) => shard.cpu()));
      const idleBefore = machineIdleSeconds();
      const started = now();
      const results = await Promise.all(split(numbers, shards.length).map((part, index) => shards[index].request({
        cmd: "connect", url, tokens: part.map((number) => tokens[number % tokens.length]), concurrency,
        deflate: !options["no-deflate"], listen: false })));
      const seconds = (now() - started) / 1000;
      const cpuAfter = await Promise.all(shards.map((shard) => shard.cpu()));
      const opened = results.reduce((sum, result) => sum + result.opened, 0);
      held = results.reduce((sum, result) => sum + result.held, 0);
      process.stdout.write(JSON.stringify({ opened, failed: numbers.length - opened, seconds, held,
        errors: mergeErrors(results), client_processes: shards.length,
        machine_idle_share: round((machineIdleSeconds() - idleBefore) / seconds / cores()),
        client_cpu_shares: cpuAfter.map((cpu, index) => round((cpu - cpuBefore[index]) / 1e6 / seconds)) }) + "\n");
    } else if (command === "close") {
      break;
    }
  }
  await Promise.all(shards.map((shard) => shard.close()));
  process.stdout.write(JSON.stringify({ closed: true }) + "\n");
  process.exit(0);
}

// ------------------------------------------------------------------ fan-out mode

// statistics.quantiles(values, n=100, method="inclusive"), as bench/fanout_client.py reports them
function percentiles(values) {
  if (values.length === 0) return { p50: null, p95: null, p99: null, mean: null }; // every send refused
  const sorted = [...values].sort((a, b) => a - b);
  const cut = (fraction) => {
    if (sorted.length === 1) return sorted[0];
    const position = fraction * (sorted.length - 1);
    const below = Math.floor(position);
    const above = Math.min(below + 1, sorted.length - 1);
    return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
  };
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  return { p50: cut(0.5), p95: cut(0.95), p99: cut(0.99), mean };
}

// CPU seconds of another process (the server's worker), all its threads, from /proc, as the Python client
function cpuSecondsOf(pid) {
  if (!pid) return 0;
  let total = 0;
  for (const thread of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(fs.readFileSync(`/proc/${pid}/task/${thread}/schedstat`, "utf8").split(" ")[0]) / 1e9;
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return total;
}

class FanOut {
  constructor(job, shards) {
    this.job = job;
    this.shards = shards;
    this.sender = null;
  }

  async connectAll() {
    const started = now();
    const deflate = this.job.deflate !== false;
    this.sender = await openSocket(this.job.url, this.job.sender_token, deflate, null);
    this.senderLost = null; // why the server or the network cut the sender, if it did: nothing sends after it
    this.sender.on("disconnect", (reason) => { this.senderLost = this.senderLost || reason; });
    const concurrency = Math.max(1, Math.ceil(FANOUT_CONNECT_CONCURRENCY / this.shards.length));
    const results = await Promise.all(split(this.job.receiver_tokens, this.shards.length).map((tokens, index) =>
      this.shards[index].request({ cmd: "connect", url: this.job.url, tokens, concurrency, deflate, listen: true })));
    const failed = results.reduce((sum, result) => sum + result.failed, 0);
    if (failed) throw new Error(`${failed} receivers could not connect: ${JSON.stringify(mergeErrors(results))}`);
    return (now() - started) / 1000;
  }

  send(clientId, timeoutMs) {
    return new Promise((resolve) => {
      this.sender.timeout(timeoutMs).emit("message:send",
        { conversation_id: this.job.conversation_id, body: BODY, client_id: clientId },
        (error, ack) => resolve(error ? { ok: false, error: { code: "no_ack", message: String(error) } } : ack));
    });
  }

  // One phase: `window` sends in flight (closed loop), or sends at `rate` a second (open loop).
  async runPhase({ window = null, rate = null }) {
    const job = this.job;
    // a rate phase lasts `seconds` when the job says so (at least 10 messages), else `messages` sends
    const messages = rate && job.seconds ? Math.max(10, Math.round(rate * job.seconds)) : job.messages;
    const receivers = job.receiver_tokens.length;
    const prefix = `${job.tag}-${rate ? `r${rate}` : `w${window}`}-`;
    const timeoutMs = job.timeout * 1000;
    // Listening for each shard's "done" before the phase starts: a shard without receivers is done at once.
    const doneAt = this.shards.map((shard) => new Promise((resolve) => { shard.done = resolve; }));
    await Promise.all(this.shards.map((shard) => shard.request({ cmd: "phase", prefix, messages })));
    const sentAt = {};
    const ackLatencies = [];
    const failures = [];
    const serverCpu = cpuSecondsOf(job.server_pid);
    const idleBefore = machineIdleSeconds();
    const clientCpu = [cpuMicroseconds(), ...(await Promise.all(this.shards.map((shard) => shard.cpu())))];
    const started = now();

    const sendOne = async (number, scheduled) => {
      const clientId = `${prefix}${number}`;
      sentAt[clientId] = scheduled === undefined ? now() : scheduled;
      const ack = await this.send(clientId, timeoutMs);
      ackLatencies.push(now() - sentAt[clientId]);
      if (!(ack && ack.ok) || ack.message.client_id !== clientId) failures.push(ack);
    };
    const sending = [];
    if (rate) { // open loop: the schedule does not wait for the server
      const interval = 1000 / rate;
      for (let number = 0; number < messages; number += 1) {
        const due = started + number * interval;
        const wait = due - now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        sending.push(sendOne(number, due));
      }
    } else {
      await pool(messages, window, (number) => sendOne(number));
    }
    // each send waits `timeout` for its ack at most (then it counts as refused, code "no_ack"): the phase
    // allows that, and the same again for the deliveries
    const deadline = new Promise((resolve) => setTimeout(resolve, timeoutMs + 5000, "timeout"));
    const acked = await Promise.race([Promise.all(sending).then(now), deadline]);
    // A refused send (e.g. `busy`: the sending socket's queue is full) is the server shedding load: it is
    // counted by its code, and its deliveries are not waited for.
    const accepted = messages - failures.length;
    if (acked !== "timeout" && failures.length) {
      await Promise.all(this.shards.map((shard) => shard.request({ cmd: "expect", messages: accepted })));
    }
    const finished = await Promise.race([Promise.all(doneAt), deadline]);
    const collected = await Promise.all(this.shards.map((shard) => shard.request({ cmd: "collect" })));
    const refused = {};
    for (const failure of failures) {
      const code = (failure && failure.error && failure.error.code) || "not_ok";
      refused[code] = (refused[code] || 0) + 1;
    }
    const senderCpu = cpuMicroseconds();
    if (acked === "timeout" || finished === "timeout") {
      const missing = collected.reduce((sum, shard) => sum + shard.remaining, 0);
      return { window, rate, error: `timed out: ${missing} deliveries missing, ${messages - ackLatencies.length} `
        + `acks missing, ${failures.length} failed`, refused, counts: collected.flatMap((shard) => shard.counts),
        disconnects: mergeDisconnects(collected) };
    }
    const finishedAt = Math.max(...finished.filter((at) => at !== null), acked);
    // an open-loop phase lasts its schedule at least: a server keeping up delivers the offered rate, not more
    const elapsed = Math.max(finishedAt - started, rate ? (messages / rate) * 1000 : 0) / 1000;
    const serverCpuSeconds = cpuSecondsOf(job.server_pid) - serverCpu;
    const shares = [senderCpu, ...collected.map((shard) => shard.cpu)]
      .map((cpu, index) => round((cpu - clientCpu[index]) / 1e6 / elapsed));
    const lastArrival = {};
    for (const shard of collected) {
      for (const [clientId, at] of Object.entries(shard.last)) lastArrival[clientId] = Math.max(lastArrival[clientId] || 0, at);
    }
    const fanoutLatencies = Object.keys(sentAt).filter((clientId) => clientId in lastArrival)
      .map((clientId) => lastArrival[clientId] - sentAt[clientId]);
    const deliveries = receivers * accepted;
    return {
      window, rate, messages, receivers, elapsed_s: elapsed, acks_elapsed_s: (acked - started) / 1000,
      offered_deliveries_per_s: rate ? rate * receivers : null,
      deliveries_per_s: deliveries / elapsed, // 0 when every send was refused
      ack_latency_ms: percentiles(ackLatencies),
      fanout_latency_ms: percentiles(fanoutLatencies),
      server_cpu_s: serverCpuSeconds,
      server_cpu_us_per_delivery: (serverCpuSeconds / deliveries) * 1e6,
      server_cpu_share: serverCpuSeconds / elapsed, // near 1: the one worker was the bottleneck
      client_cpu_share: Math.max(...shares), // the busiest client process: near 1, the client limited the run
      client_cpu_shares: shares, // the sender's process first, then each receivers' shard
      machine_idle_share: round((machineIdleSeconds() - idleBefore) / elapsed / cores()), // near 0: cores were short
      failed_acks: failures.length,
      refused, // failed acks by error code
      duplicates: collected.flatMap((shard) => shard.counts).reduce((sum, count) => sum + Math.max(0, count - accepted), 0),
      disconnects: mergeDisconnects(collected), // receivers the server or the network cut during the phase, by reason
      sender_disconnected: this.senderLost,
    };
  }
}

async function fanoutMode() {
  const job = JSON.parse(fs.readFileSync(0, "utf8"));
  const shards = startShards(Number(job.processes || 2));
  const fanout = new FanOut(job, shards);
  let result;
  try {
    const connectSeconds = await fanout.connectAll();
    const phases = [];
    for (const window of job.windows || []) phases.push(await fanout.runPhase({ window }));
    for (const rate of job.rates || []) {
      const phase = await fanout.runPhase({ rate });
      phases.push(phase);
      // past saturation the backlog only grows: higher rates would measure the same overload, slower
      const p99 = phase.error ? null : phase.fanout_latency_ms.p99;
      if (phase.error || phase.sender_disconnected || p99 === null || (job.stop_p99_ms && p99 > job.stop_p99_ms)) break;
    }
    result = { connect_s: connectSeconds, phases, client_processes: shards.length };
  } finally {
    if (fanout.sender) fanout.sender.close();
    await Promise.all(shards.map((shard) => shard.close()));
  }
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}

function main() {
  const { values: options, positionals } = parseArgs({
    allowPositionals: true,
    options: { tokens: { type: "string" }, concurrency: { type: "string", default: "100" },
      processes: { type: "string", default: "2" }, "no-deflate": { type: "boolean", default: false } },
  });
  const mode = positionals[0];
  const run = { connect: () => connectMode(positionals, options), fanout: fanoutMode }[mode];
  if (!run) {
    process.stderr.write("usage: node load.js connect URL --tokens FILE [...] | node load.js fanout < job.json\n");
    process.exit(2);
  }
  return run().catch((error) => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(1);
  });
}

main();
