// A button beside a number to copy it (data-copy): a sponsor pastes the account number and the
// reference into her banking app instead of typing them. Says "copied" in the page's language.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      var said = document.getElementById(button.getAttribute("aria-describedby") || "");
      navigator.clipboard.writeText(text).then(function () {
        if (said) { said.textContent = button.getAttribute("data-copied"); }
      });
    });
  });
})();
