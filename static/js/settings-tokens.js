// /settings' API token form: a refusal (a wrong password, a bad name) comes back with the page, in
// #token-error's data-message. It is put into that alert region after load: a live region's content
// in the page as served is not read out by screen readers, an alert filled later is (as the
// picture's errors are, static/js/settings-profile.js).

const error = document.getElementById("token-error");
if (error?.dataset.message) {
  setTimeout(() => { error.textContent = error.dataset.message; }, 100);
}
