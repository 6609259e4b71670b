// The quick exit (issue #18, docs/survivors.md): on every page of someone who works on hotline
// calls or sensitive records. One click on the button, or Escape twice within two seconds, ends
// the session (so the back button shows only the sign-in form: pages are never cached) and
// replaces this page with a neutral site, so the tab's history does not keep it. Without
// script the button is a plain link to the neutral site.
(function () {
  var link = document.getElementById("quick-exit");
  if (!link) {
    return;
  }
  var left = false;
  function leave() {
    if (left) {
      return;
    }
    left = true;
    var csrf = link.getAttribute("data-csrf") || "";
    try {
      var body = new URLSearchParams();
      body.append("csrf", csrf);
      if (!(navigator.sendBeacon && navigator.sendBeacon("/logout", body))) {
        fetch("/logout", { method: "POST", body: body, keepalive: true, credentials: "same-origin" });
      }
    } catch (e) {
      // Leave anyway.
    }
    document.title = "";
    document.body.hidden = true;
    window.location.replace(link.href);
  }
  link.addEventListener("click", function (event) {
    event.preventDefault();
    leave();
  });
  var last = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") {
      return;
    }
    var now = Date.now();
    if (now - last < 2000) {
      leave();
    }
    last = now;
  });
})();
