// The registration form sent without leaving the page: a refusal comes back as the server's form, its
// errors next to their fields, its banners (flashed messages) put into their live regions as a loaded
// page's are (static/js/flashes.js), and the passwords typed stay in their boxes (the server never writes
// a password into a page; they are kept here, in memory only). Without scripts the form posts as usual.

import { showFlashes } from "./flashes.js";

function bind(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const passwords = { password: form.elements.password?.value, confirm: form.elements.confirm?.value };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    let response;
    try {
      response = await fetch(window.location.href, { method: "POST", body: new FormData(form), credentials: "same-origin" });
    } catch {
      button.disabled = false;
      HTMLFormElement.prototype.submit.call(form); // the network failed: let the browser post and say so
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const refused = page.getElementById("register-form");
    if (response.redirected || !refused) {
      window.location.assign(response.url); // registered (the chat, or the confirmation page)
      return;
    }
    // The same page again, refused: its form and its banners replace ours (parsed, never run).
    for (const banner of document.querySelectorAll(".flashes")) banner.remove();
    for (const banner of page.querySelectorAll(".flashes")) document.body.prepend(document.adoptNode(banner));
    showFlashes();
    const fresh = document.adoptNode(refused);
    form.replaceWith(fresh);
    for (const [name, value] of Object.entries(passwords)) {
      if (fresh.elements[name] && value !== undefined) fresh.elements[name].value = value;
    }
    bind(fresh);
    const wrong = fresh.querySelector(".field-error")?.closest(".field")?.querySelector("input");
    wrong?.focus();
  });
}

const form = document.getElementById("register-form");
if (form) bind(form);
