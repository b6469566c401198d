// The messages flashed for a page (templates/_flashes.html: base.html's pages and the back office's) come
// with it in a <template> and are put into the block's live regions, empty as served, shortly after load:
// screen readers do not read out what a live region holds when the page loads, they read out what is put
// into it later. An error goes into the alert region, anything else (a confirmation) into the status
// region. Without scripts, the block's <noscript> shows them. static/js/register.js calls showFlashes
// for a block it swaps in.

const SETTLE_MS = 100; // the empty regions are in the accessibility tree before they are filled

/** Fill the live regions of every flashes block under `root` from its <template> (once). */
export function showFlashes(root = document) {
  for (const messages of root.querySelectorAll(".flashes > template.flash-messages")) {
    const block = messages.parentElement;
    const items = [...messages.content.querySelectorAll(".flash")];
    const listClass = messages.content.querySelector("ul").className; // the back office's: list-unstyled
    messages.remove();
    block.querySelector(":scope > noscript")?.remove(); // parsed as elements in a page a script fetched
    setTimeout(() => {
      for (const [role, errors] of [["alert", true], ["status", false]]) {
        const picked = items.filter((item) => item.classList.contains("error") === errors);
        if (!picked.length) continue;
        const list = document.createElement("ul");
        list.className = listClass;
        list.append(...picked);
        block.querySelector(`:scope > [role=${role}]`).append(list);
      }
    }, SETTLE_MS);
  }
}

showFlashes();

// A message's dismiss button (the back office's: templates/_flashes.html) takes the message away; the
// focus, which was on the button, goes to the next message's button, else to the page's main content,
// not back to the top of the page. Without scripts the button reloads the page (its <noscript> form).
document.addEventListener("click", (event) => {
  const button = event.target.closest?.(".flash .flash-dismiss");
  if (!button) return;
  event.preventDefault();
  const item = button.closest(".flash");
  const block = item.closest(".flashes");
  const buttons = [...block.querySelectorAll(".flash-dismiss")];
  const next = buttons[buttons.indexOf(button) + 1] ?? buttons[buttons.indexOf(button) - 1];
  const list = item.parentElement;
  item.remove();
  if (!list.children.length) list.remove();
  if (next) {
    next.focus();
  } else {
    const main = document.querySelector("main");
    if (main) {
      main.tabIndex = -1;
      main.focus();
    }
  }
});
