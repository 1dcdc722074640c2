// Confirm buttons that ask for it: <button data-confirm="Cancel this order?">
document.addEventListener("submit", function (event) {
  const button = event.submitter;
  const message = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
    return;
  }
  // A double click must not send the form twice.
  if (event.target.dataset.submitted === "1") {
    event.preventDefault();
    return;
  }
  event.target.dataset.submitted = "1";
  window.setTimeout(function () { event.target.dataset.submitted = ""; }, 4000);
});

// <select data-submit-on-change>: choosing an option sends its form.
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-submit-on-change]")) event.target.form.requestSubmit();
});

// <input type="checkbox" data-check-all="#table .pick">: ticks or clears every matching box.
document.addEventListener("change", function (event) {
  const selector = event.target.dataset && event.target.dataset.checkAll;
  if (!selector) return;
  document.querySelectorAll(selector).forEach(function (box) { box.checked = event.target.checked; });
});

// "/" puts the cursor in the page's search box (or the navigation bar's "go to order"), as in most back-offices.
document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const typing = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
  if (typing) return;
  const box = document.querySelector("main input[type=search], #id_q") || document.getElementById("jump-order");
  if (!box) return;
  event.preventDefault();
  box.focus();
  box.select();
});
