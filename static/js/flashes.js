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
