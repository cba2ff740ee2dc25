// Shows a conditional question only for the answers it is asked for (the server checks the same
// rule, so this is a convenience; without JavaScript every question is shown with a hint).
(function () {
  "use strict";
  var form = document.querySelector(".survey-form");
  if (!form) return;
  var dependents = form.querySelectorAll("[data-condition-question]");
  function valuesOf(name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    var values = [];
    inputs.forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      if (input.value !== "") values.push(parseInt(input.value, 10));
    });
    return values;
  }
  function update() {
    dependents.forEach(function (fieldset) {
      var values = valuesOf(fieldset.dataset.conditionQuestion);
      var min = fieldset.dataset.conditionMin, max = fieldset.dataset.conditionMax;
      var choices = (fieldset.dataset.conditionChoices || "").split(",").filter(Boolean).map(Number);
      var shown = values.some(function (v) {
        if (choices.length) return choices.indexOf(v) !== -1;
        return (min === "" || v >= Number(min)) && (max === "" || v <= Number(max));
      });
      fieldset.hidden = !shown;
      fieldset.querySelectorAll("input, textarea").forEach(function (input) {
        input.disabled = !shown;
      });
      var help = fieldset.querySelector(".field__help");
      if (help) help.hidden = true;
    });
  }
  form.addEventListener("change", update);
  update();
})();
