// What the load generator's processes share (bench/node/load.js, bench/node/shard.js): opening one
// socket.io-client connection as a browser would, running work with bounded concurrency, and the clocks.
"use strict";

const fs = require("fs");
const os = require("os");
const { io } = require("socket.io-client");

const CONNECT_TIMEOUT_MS = 30000;

// The whole machine's idle CPU time so far (seconds, all cores, /proc/stat): on a machine shared with
// other work, a run whose processes all had low CPU shares may still have been starved of cores; an
// idle share near 0 over a phase says so.
function machineIdleSeconds() {
  const fields = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  return (Number(fields[4]) + Number(fields[5])) / 100; // idle + iowait, in USER_HZ (100 a second)
}
const cores = () => os.cpus().length;

const now = () => Number(process.hrtime.bigint()) / 1e6; // milliseconds
const cpuMicroseconds = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

function openSocket(url, token, deflate, onMessage) {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      transports: ["websocket"], auth: { token }, reconnection: false, forceNew: true, timeout: CONNECT_TIMEOUT_MS,
      perMessageDeflate: deflate ? { threshold: 1024 } : false, // ws offers it; false: not offered
    });
    if (onMessage) socket.on("message:new", onMessage);
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (error) => {
      socket.close();
      const detail = error.data && error.data.code ? ` (${error.data.code})` : "";
      reject(new Error(`${error.message}${detail}`));
    });
  });
}

// Runs `work(index)` for every index in [0, count), `concurrency` at a time.
async function pool(count, concurrency, work) {
  let next = 0;
  const runner = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, runner));
}


module.exports = { cores, cpuMicroseconds, machineIdleSeconds, now, openSocket, pool };
