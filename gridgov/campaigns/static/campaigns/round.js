/* "My visits to do": "离我最近优先" asks the phone for its position (the browser asks the worker first) and
   reloads the list with ?near=lat,lng, which the server orders by distance. Without a position the list stays
   in ledger order. */
(function () {
  "use strict";
  var button = document.getElementById("near-button");
  var status = document.getElementById("near-status");
  if (!button) return;
  if (!navigator.geolocation) { button.hidden = true; return; }
  button.addEventListener("click", function () {
    button.disabled = true;
    if (status) status.textContent = button.getAttribute("data-wait");
    navigator.geolocation.getCurrentPosition(function (pos) {
      var url = new URL(window.location.href);
      url.searchParams.set("near", pos.coords.latitude.toFixed(6) + "," + pos.coords.longitude.toFixed(6));
      url.searchParams.delete("page");
      window.location.assign(url.toString());
    }, function () {
      button.disabled = false;
      if (status) status.textContent = button.getAttribute("data-denied");
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  });
})();
