// The back office under a Content-Security-Policy without inline script (docs/security.md):
// what onclick/onsubmit attributes used to do, here. Loaded on every back-office page
// (admin/security.py OperatorAccess.extra_js).
//
//   <form data-confirm="Delete this message?">   asks before it is submitted
//   <a data-model-action="hide">                 runs a Flask-Admin bulk action ("With selected")
//   <a href="javascript:void(0)">                Flask-Admin's links that lead nowhere: never followed
//                                                (the CSP would refuse them with a violation)

document.addEventListener("submit", (event) => {
  const message = event.target.dataset?.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (target?.closest('a[href^="javascript:"]')) event.preventDefault();
  const action = target?.closest("[data-model-action]");
  if (action) window.modelActions.execute(action.dataset.modelAction);
}, true);

// Flask-Admin names its list's checkboxes by a title alone, which assistive technology may not read
// (axe's label-title-only): the same words as their accessible name, "Select record" with the row's id.
for (const box of document.querySelectorAll("input.action-rowtoggle, input.action-checkbox")) {
  if (!box.hasAttribute("aria-label")) {
    box.setAttribute("aria-label", box.classList.contains("action-checkbox") ? `${box.title} ${box.value}` : box.title);
  }
}
