// The "go back" link of the message pages. The Content-Security-Policy allows no inline script,
// so this file shows the link (hidden where scripts do not run: it would lead nowhere) and makes
// it step back in the browser's history.
(function () {
  var item = document.getElementById("go-back-item");
  var link = document.getElementById("go-back");
  if (!item || !link) {
    return;
  }
  item.hidden = false;
  link.addEventListener("click", function (event) {
    event.preventDefault();
    history.back();
  });
})();
