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

// Order list: the header box ticks every order on the page (the table is swapped by htmx).
document.addEventListener("change", function (event) {
  if (!event.target.classList.contains("bulk-all")) return;
  document.querySelectorAll("input.bulk-pick").forEach(function (box) { box.checked = event.target.checked; });
});
