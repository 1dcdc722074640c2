// The filter form's select and date widgets come from django-filter without Bootstrap's classes.
document.querySelectorAll("#order-filters select:not(.form-select), #order-filters input[type=date]").forEach(function (el) {
  el.classList.add(el.tagName === "SELECT" ? "form-select" : "form-control");
});
