// Entry point of the chat page: read who we are from the page and start the client.

import { ChatApp } from "./app.js";
import { Keyboard } from "./keyboard.js";

// A [data-close] button (Cancel, Close) closes the dialog it is in: every dialog of templates/chat/index.html.
document.addEventListener("click", (event) => event.target.closest("[data-close]")?.closest("dialog")?.close());

const root = document.getElementById("app");
const me = JSON.parse(root.dataset.me);
const app = new ChatApp(me);
window.switchboard = app; // for debugging from the console
app.start();
new Keyboard(app); // Tab order, Up to edit, Esc, Ctrl/Cmd+K, F6 and the skip links (keyboard.js)
