// The bare Node reference of the benchmark (issue 15): socket.io 4 with its default options (no
// compression by default), doing what bench/bare_server.py does and no more, so that a scenario can
// show what the framework itself costs in Node beside Flask-SocketIO and Switchboard.
//
//   node bench/node/reference-server.js --port 8000 [--users 1000] [--table table.json]
//
// - GET /healthz answers {"ok": true} (how the scenarios wait for a server).
// - A connect is authenticated by `auth.token`, looked up in a table in memory (no database):
//   refused with {code: "unauthorized"} otherwise; the socket joins `user:<id>` and the room of each
//   of its user's conversations, `conversation:<id>`, as Switchboard's connect handler does.
// - `message:send {conversation_id, body, client_id?}` is acknowledged with the message as
//   Switchboard's ack shapes it (`{ok, duplicate, message}`), storing nothing, and the message goes
//   as `message:new {message}` to the conversation's room, the sender's sockets included.
//
// The table: `--table FILE` (or BARE_TABLE), JSON {"tokens": {token: user_id}, "conversations": {id:
// [user_id...]}}, the same file bench/bare_server.py reads; without it, as there: the tokens `bare-0` ...
// `bare-<users - 1>` for users 0 ... and no conversation (a send is acknowledged, and goes nowhere).
"use strict";

const fs = require("fs");
const http = require("http");
const { parseArgs } = require("util");
const { Server } = require("socket.io");

const BODY_MAX = 4000;

function loadTable(options) {
  const path = options.table || process.env.BARE_TABLE;
  if (path) {
    const table = JSON.parse(fs.readFileSync(path, "utf8"));
    return { tokens: table.tokens || {}, conversations: table.conversations || {} };
  }
  const users = Number(options.users || process.env.BARE_USERS || 1000);
  const tokens = {};
  for (let user = 0; user < users; user += 1) tokens[`bare-${user}`] = user;
  return { tokens, conversations: {} };
}

// user id -> the rooms its sockets join
function roomsByUser(table) {
  const rooms = new Map();
  for (const user of new Set(Object.values(table.tokens))) rooms.set(user, [`user:${user}`]);
  for (const [conversation, members] of Object.entries(table.conversations)) {
    for (const user of members) {
      if (rooms.has(user)) rooms.get(user).push(`conversation:${conversation}`);
    }
  }
  return rooms;
}

function refusal(code, message) {
  return { ok: false, error: { code, message } };
}

function main() {
  const { values: options } = parseArgs({
    options: { port: { type: "string", default: "8000" }, host: { type: "string", default: "127.0.0.1" },
      users: { type: "string" }, table: { type: "string" } },
  });
  const table = loadTable(options);
  const rooms = roomsByUser(table);
  const httpServer = http.createServer((request, response) => {
    if (request.url === "/healthz") {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end('{"ok": true}');
    }
    // anything else is socket.io's (it answers /socket.io/ itself) or left to time out: never reached
  });
  const io = new Server(httpServer); // the defaults: no compression unless a scenario measures it
  let sent = 0;

  io.use((socket, next) => {
    const token = socket.handshake.auth && socket.handshake.auth.token;
    const user = Object.prototype.hasOwnProperty.call(table.tokens, token) ? table.tokens[token] : undefined;
    if (user === undefined) {
      const error = new Error("unauthorized");
      error.data = { code: "unauthorized", message: "Log in first." };
      return next(error);
    }
    socket.data.user = user;
    socket.join(rooms.get(user));
    return next();
  });

  io.on("connection", (socket) => {
    socket.on("message:send", (payload, ack) => {
      if (typeof ack !== "function") return;
      const { conversation_id: conversationId, body, client_id: clientId } = payload || {};
      if (!Number.isInteger(conversationId)) return ack(refusal("invalid_conversation", "conversation_id: an id"));
      if (typeof body !== "string" || body.length < 1 || body.length > BODY_MAX) {
        return ack(refusal("invalid_body", `body: 1-${BODY_MAX} characters`));
      }
      sent += 1;
      const message = { id: sent, conversation_id: conversationId, seq: sent, revision: sent,
        sender_id: socket.data.user, body, client_id: clientId === undefined ? null : clientId,
        created_at: new Date().toISOString() };
      ack({ ok: true, duplicate: false, message }); // the ack first, as Switchboard does
      if (Object.prototype.hasOwnProperty.call(table.conversations, conversationId)) {
        io.to(`conversation:${conversationId}`).emit("message:new", { message });
      }
    });
  });

  httpServer.listen(Number(options.port), options.host, () => {
    console.log(JSON.stringify({ listening: `http://${options.host}:${httpServer.address().port}`,
      users: Object.keys(table.tokens).length, pid: process.pid }));
  });
  for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
      io.close();
      process.exit(0);
    });
  }
}

main();
