// The login page's QR-code login (docs/protocol.md, namespace /qr-login). The server draws each
// code (an <img> with an SVG data: URI) and pushes the next one every 20 s; once a logged-in
// device approves, this page asks its socket for a single-use ticket and posts it (a real form
// post: the session cookie comes back with the redirect to the chat).

import { t } from "./i18n.js";

const root = document.getElementById("qr-login");
const startButton = document.getElementById("qr-login-button");
const panel = document.getElementById("qr-login-panel");
const image = document.getElementById("qr-login-image");
const statusLine = document.getElementById("qr-login-status");
const againButton = document.getElementById("qr-login-again");
const form = document.getElementById("qr-login-form");
const ticketInput = document.getElementById("qr-login-ticket");
let socket = null;

function show(state, text) {
  root.dataset.state = state;
  statusLine.textContent = text;
  againButton.hidden = !["refused", "expired", "error"].includes(state);
  if (state !== "waiting" && state !== "scanned") image.hidden = true;
}

function showCode(qr) {
  image.src = qr.image;
  image.dataset.url = qr.url;
  image.hidden = false;
  show("waiting", t("Scan this code with a device where you are logged in."));
}

function requestCode() {
  show("requesting", t("Getting a code…"));
  socket.emit("qr:request", {}, (answer) => {
    if (answer.ok) showCode(answer.qr);
    else show("error", answer.error.message);
  });
}

function askForTicket() {
  show("approved", t("Approved. Logging in…"));
  socket.emit("qr:ticket", {}, (answer) => {
    if (!answer.ok) {
      show("error", answer.error.message);
      return;
    }
    ticketInput.value = answer.ticket;
    form.submit();
  });
}

function start() {
  startButton.hidden = true;
  panel.hidden = false;
  if (socket) {
    if (socket.connected) requestCode();
    else socket.connect();
    return;
  }
  socket = window.io("/qr-login", { reconnection: false });
  socket.on("connect", requestCode);
  socket.on("qr:code", ({ qr }) => showCode(qr));
  socket.on("qr:scanned", () => show("scanned", t("Scanned. Approve the login on your other device.")));
  socket.on("qr:approved", askForTicket);
  socket.on("qr:refused", () => show("refused", t("The login was refused on the other device.")));
  socket.on("qr:expired", () => show("expired", t("The code expired.")));
  socket.on("connect_error", () => show("error", t("Cannot reach the server.")));
  socket.on("disconnect", () => {
    if (root.dataset.state !== "approved") show("error", t("The connection was lost."));
  });
}

startButton.addEventListener("click", start);
againButton.addEventListener("click", start);
