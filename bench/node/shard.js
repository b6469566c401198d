// A shard of the load generator (bench/node/load.js forks one per process): it holds its part of the
// connections, counts what its receivers get of each phase's messages, and answers the coordinator's
// commands over the IPC channel (connect, phase, expect, collect, cpu, close). It prints nothing: the
// coordinator's stdout carries the results.
"use strict";

const { cpuMicroseconds, now, openSocket, pool } = require("./sockets");


class ShardPhase {
  // What this shard's receivers got of one phase's messages (their client_id starts with `prefix`).
  constructor(prefix, receivers, messages) {
    Object.assign(this, { prefix, messages, counts: new Array(receivers).fill(0), last: {} });
    this.remaining = receivers * messages;
    if (this.remaining === 0) process.send({ type: "done", at: null });
  }

  expect(messages) {
    this.messages = messages;
    this.remaining = this.counts.reduce((sum, count) => sum + Math.max(0, messages - count), 0);
    if (this.remaining === 0) process.send({ type: "done", at: Math.max(0, ...Object.values(this.last)) || null });
  }

  received(receiver, message) {
    const clientId = (message && message.client_id) || "";
    if (!clientId.startsWith(this.prefix)) return;
    const at = now();
    this.counts[receiver] += 1;
    this.last[clientId] = at; // arrivals come in time order: the last one wins
    if (this.counts[receiver] <= this.messages) {
      this.remaining -= 1;
      if (this.remaining === 0) process.send({ type: "done", at });
    }
  }
}

function shardMain() {
  const sockets = [];
  const receivers = [];
  let phase = null;
  let disconnects = {}; // reason -> receivers lost since the last collect (never reconnected: reconnection off)

  async function connect(command) {
    const started = now();
    let failed = 0;
    const errors = {};
    await pool(command.tokens.length, command.concurrency, async (index) => {
      try {
        let onMessage = null;
        if (command.listen) {
          const receiver = receivers.length + index; // fixed before the await: counts are per receiver
          onMessage = (payload) => phase && phase.received(receiver, payload && payload.message);
        }
        const socket = await openSocket(command.url, command.tokens[index], command.deflate, onMessage);
        socket.on("disconnect", (reason) => { disconnects[reason] = (disconnects[reason] || 0) + 1; });
        sockets.push(socket);
      } catch (error) { // counted and shown, never hidden
        failed += 1;
        const reason = `${error.name}: ${String(error.message).slice(0, 120)}`;
        errors[reason] = (errors[reason] || 0) + 1;
      }
    });
    if (command.listen) receivers.push(...command.tokens.map(() => null));
    return { opened: command.tokens.length - failed, failed, errors, seconds: (now() - started) / 1000,
      held: sockets.length };
  }

  process.on("message", async (command) => {
    if (command.cmd === "connect") {
      process.send({ type: "connected", ...(await connect(command)) });
    } else if (command.cmd === "phase") {
      phase = null;
      process.send({ type: "ready" });
      phase = new ShardPhase(command.prefix, receivers.length, command.messages);
    } else if (command.cmd === "expect" && phase) { // the server refused some sends: they never come
      phase.expect(command.messages);
      process.send({ type: "expecting" });
    } else if (command.cmd === "collect") {
      const finished = phase;
      phase = null;
      process.send({ type: "collected", last: finished ? finished.last : {}, counts: finished ? finished.counts : [],
        remaining: finished ? finished.remaining : 0, cpu: cpuMicroseconds(), disconnects });
      disconnects = {};
    } else if (command.cmd === "cpu") {
      process.send({ type: "cpu", cpu: cpuMicroseconds() });
    } else if (command.cmd === "close") {
      for (const socket of sockets) socket.close();
      process.send({ type: "closed" }, () => process.exit(0));
    }
  });
}


shardMain();
