// Staff order entry (templates/orders/order_form.html): product lookup per line, adding lines,
// barcode scanners, choosing a customer from the search results. No inline script on the page,
// so a strict Content-Security-Policy can forbid them.
(function () {
  const form = document.getElementById("order-form");
  if (!form) return;
  const lookupUrl = form.dataset.productLookupUrl;
  const total = document.getElementById("id_lines-TOTAL_FORMS");

  function lookup(input) {
    const info = input.closest(".line-form").querySelector(".product-info");
    if (!input.value.trim()) { info.innerHTML = ""; return; }
    htmx.ajax("GET", lookupUrl + "?code=" + encodeURIComponent(input.value), {target: info, swap: "innerHTML"});
  }

  document.getElementById("line-forms").addEventListener("change", function (e) {
    if (e.target.classList.contains("line-code")) lookup(e.target);
  });
  document.getElementById("add-line").addEventListener("click", function () {
    const index = parseInt(total.value, 10);
    const html = document.getElementById("empty-line").innerHTML.replace(/__prefix__/g, index);
    document.getElementById("line-forms").insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    document.getElementById("id_lines-" + index + "-code").focus();
  });
  // Barcode scanners end with Enter: look the product up instead of submitting the form.
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.classList && e.target.classList.contains("line-code")) {
      e.preventDefault(); lookup(e.target);
    }
  });

  const results = document.getElementById("customer-results");
  if (!results) return;  // editing a draft: the customer is chosen
  results.addEventListener("click", function (e) {
    const item = e.target.closest("[data-customer-id]");
    if (!item) return;
    e.preventDefault();
    document.getElementById("id_customer").value = item.dataset.customerId;
    document.getElementById("customer-chosen-name").textContent = item.dataset.customerLabel;
    document.getElementById("customer-chosen").classList.remove("d-none");
    document.getElementById("customer-picker").classList.add("d-none");
    const address = JSON.parse(item.dataset.address || "{}");
    Object.keys(address).forEach(function (field) {
      const input = document.getElementById("id_ship-" + field);
      if (input && !input.value) input.value = address[field];
    });
    results.innerHTML = "";
  });
  document.getElementById("customer-clear").addEventListener("click", function () {
    document.getElementById("id_customer").value = "";
    document.getElementById("customer-chosen").classList.add("d-none");
    document.getElementById("customer-picker").classList.remove("d-none");
  });
})();
