// /validation: apply a filter as soon as it is chosen (the form works without this too).
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  document.body.classList.add("js");
  form.querySelectorAll("select").forEach(function (select) {
    select.addEventListener("change", function () {
      // leave out empty choices, so the address stays short and shareable
      form.querySelectorAll("select, input[type=hidden]").forEach(function (el) {
        el.disabled = !el.value;
      });
      form.submit();
    });
  });
})();
