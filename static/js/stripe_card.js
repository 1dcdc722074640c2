// Stripe's card field: Stripe.js takes the card in its own frame and turns it into a
// PaymentMethod; only the PaymentMethod's id goes into the form, so no card number is posted.
(function () {
  "use strict";

  function attach(mount) {
    var input = document.getElementById(mount.dataset.for);
    var error = mount.parentElement.querySelector("[data-stripe-card-error]");
    if (typeof window.Stripe !== "function") {
      error.textContent = "Stripe's card field did not load; check the connection and reload the page.";
      return;
    }
    var stripe = window.Stripe(mount.dataset.publishableKey);
    var card = stripe.elements().create("card");
    var filled = false;
    var pending = false;
    card.mount(mount);
    card.on("change", function (event) {
      filled = !event.empty;
      input.value = "";
      error.textContent = event.error ? event.error.message : "";
    });
    input.form.addEventListener("submit", function (event) {
      if (input.value || !filled) {
        return;  // the card is already a payment method, or none was entered (a draft)
      }
      // Held back until Stripe answers; the page's double-submit guard (oms.js) sees only the real submit.
      event.preventDefault();
      event.stopPropagation();
      if (pending) {
        return;
      }
      pending = true;
      var submitter = event.submitter;
      stripe.createPaymentMethod({type: "card", card: card}).then(function (result) {
        pending = false;
        if (result.error) {
          error.textContent = result.error.message;
          return;
        }
        input.value = result.paymentMethod.id;
        // After this submit event has finished: a form ignores a submit asked for while it fires one.
        window.setTimeout(function () { input.form.requestSubmit(submitter); }, 0);
      }).catch(function (failure) {
        pending = false;
        error.textContent = "Stripe's card field failed: " + failure;
      });
    });
  }

  document.querySelectorAll("[data-stripe-card]").forEach(attach);
})();
