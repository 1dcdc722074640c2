// Staff order entry (templates/orders/order_form.html): product lookup and suggestions per line,
// adding lines, barcode scanners, choosing a customer from the search results. The running total
// is the server's (htmx on #entry-totals). No inline script on the page, so a strict
// Content-Security-Policy can forbid them.
(function () {
  const form = document.getElementById("order-form");
  if (!form) return;
  const lookupUrl = form.dataset.productLookupUrl;
  const suggestUrl = form.dataset.productSuggestUrl;
  const total = document.getElementById("id_lines-TOTAL_FORMS");

  function lookup(input) {
    const info = input.closest(".line-form").querySelector(".product-info");
    if (!input.value.trim()) { info.innerHTML = ""; return; }
    htmx.ajax("GET", lookupUrl + "?code=" + encodeURIComponent(input.value), {target: info, swap: "innerHTML"});
  }

  // The code box is an ARIA combobox: typing part of a SKU or name lists matching products;
  // arrow keys move through them, Enter or a click chooses one, Escape closes the list.
  function listFor(input) { return document.getElementById(input.getAttribute("aria-controls")); }
  function options(list) { return Array.from(list.querySelectorAll(".product-suggestion")); }

  let asked = 0;  // only the answer to the latest keystroke is shown, and none after the list closed
  function closeList(input) {
    asked++;
    const list = listFor(input);
    if (!list) return;
    list.classList.add("d-none");
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function suggest(input) {
    const list = listFor(input);
    const term = input.value.trim();
    if (!list || term.length < 2) { closeList(input); return; }
    const mine = ++asked;
    fetch(suggestUrl + "?q=" + encodeURIComponent(term) + "&listbox=" + encodeURIComponent(list.id),
          {headers: {"HX-Request": "true"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (mine !== asked || document.activeElement !== input) return;
        list.innerHTML = html;
        list.classList.remove("d-none");
        input.setAttribute("aria-expanded", "true");
        input.removeAttribute("aria-activedescendant");
      })
      .catch(function () { closeList(input); });
  }

  function highlight(input, step) {
    const list = listFor(input);
    const all = options(list);
    if (!all.length) return;
    const current = all.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    const next = (current + step + all.length) % all.length;
    all.forEach(function (o, i) {
      o.setAttribute("aria-selected", i === next ? "true" : "false");
      o.classList.toggle("active", i === next);
    });
    input.setAttribute("aria-activedescendant", all[next].id);
    all[next].scrollIntoView({block: "nearest"});
  }

  function choose(input, option) {
    const row = input.closest(".line-form");
    input.value = option.dataset.sku;
    const price = row.querySelector("input[name$='-unit_price']");
    if (price) price.value = option.dataset.price;
    closeList(input);
    input.dispatchEvent(new Event("change", {bubbles: true}));  // the product check and the running total
    const quantity = row.querySelector("input[name$='-quantity']");
    if (quantity) { quantity.focus(); quantity.select(); }
  }

  let typing;
  document.getElementById("line-forms").addEventListener("input", function (e) {
    if (!e.target.classList.contains("line-code")) return;
    window.clearTimeout(typing);
    typing = window.setTimeout(function () { suggest(e.target); }, 200);
  });
  document.getElementById("line-forms").addEventListener("focusout", function (e) {
    if (e.target.classList.contains("line-code")) closeList(e.target);
  });
  // A click on a suggestion must not blur the box first (that would close the list under the pointer).
  document.getElementById("line-forms").addEventListener("mousedown", function (e) {
    if (e.target.closest(".product-suggestions")) e.preventDefault();
  });
  document.getElementById("line-forms").addEventListener("click", function (e) {
    const option = e.target.closest(".product-suggestion");
    if (!option) return;
    const input = document.querySelector("[aria-controls='" + option.closest(".product-suggestions").id + "']");
    if (input) choose(input, option);
  });

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
  form.addEventListener("keydown", function (e) {
    if (!(e.target.classList && e.target.classList.contains("line-code"))) return;
    const input = e.target;
    const open = input.getAttribute("aria-expanded") === "true";
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (open) highlight(input, e.key === "ArrowDown" ? 1 : -1); else suggest(input);
    } else if (e.key === "Escape" && open) {
      e.preventDefault(); closeList(input);
    } else if (e.key === "Enter") {
      // Barcode scanners end with Enter: look the product up instead of submitting the form.
      e.preventDefault();
      const active = input.getAttribute("aria-activedescendant");
      const option = open && active ? document.getElementById(active) : null;
      window.clearTimeout(typing);
      if (option) { choose(input, option); } else { closeList(input); lookup(input); }
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
