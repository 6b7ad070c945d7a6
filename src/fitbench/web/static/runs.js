"use strict";
// The compare button works once two or more runs are ticked.
(() => {
  const form = document.getElementById("runs-form");
  if (!form) return;
  const button = document.getElementById("compare");
  const update = () => {
    const ticked = form.querySelectorAll("input[name=run]:checked").length;
    button.disabled = ticked < 2;
    button.textContent = ticked >= 2 ? `Compare ${ticked} runs` : "Compare ticked runs";
  };
  form.addEventListener("change", update);
  update();
})();
