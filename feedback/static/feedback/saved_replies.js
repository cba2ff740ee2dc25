// Choosing a saved reply fills the reply box with its text (staff edit it before sending).
(function () {
  "use strict";
  var data = document.getElementById("saved-replies");
  var select = document.querySelector(".staff-reply select[name=saved]");
  var box = document.querySelector(".staff-reply textarea[name=body]");
  if (!data || !select || !box) return;
  var replies = JSON.parse(data.textContent);
  select.addEventListener("change", function () {
    if (replies[select.value]) box.value = replies[select.value];
    box.focus();
  });
})();
