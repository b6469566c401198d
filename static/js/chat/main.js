// Entry point of the chat page: read who we are from the page and start the client.

import { ChatApp } from "./app.js";

const root = document.getElementById("app");
const me = JSON.parse(root.dataset.me);
const app = new ChatApp(me);
window.switchboard = app; // for debugging from the console
app.start();
