/* The visit page: a signature pad (pointer events; the drawing goes into a hidden field as a PNG data URL when
   the form is sent), the letter method switch, and the phone's position if the worker allows it. */
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  if (!form) return;
  var canvas = document.getElementById("sigpad");
  var hidden = form.querySelector("input[name=signature]");
  var drawn = false;
  if (canvas) {
    var ctx = canvas.getContext("2d");
    var fit = function () {
      var ratio = window.devicePixelRatio || 1;
      var rect = canvas.getBoundingClientRect();
      canvas.width = Math.round(rect.width * ratio);
      canvas.height = Math.round(rect.height * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
      drawn = false;
    };
    fit();
    var last = null;
    var point = function (e) { var r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
    canvas.addEventListener("pointerdown", function (e) { canvas.setPointerCapture(e.pointerId); last = point(e); });
    canvas.addEventListener("pointermove", function (e) {
      if (!last) return;
      var p = point(e);
      ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
      last = p; drawn = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () { last = null; });
    });
    var clear = document.getElementById("sig-clear");
    if (clear) clear.addEventListener("click", function () { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; });
  }
  var methods = form.querySelectorAll("input[name=method]");
  var sync = function () {
    var chosen = form.querySelector("input[name=method]:checked");
    var paper = chosen && chosen.value === "paper_photo";
    var pad = document.getElementById("sig-on-screen"), photo = document.getElementById("sig-paper");
    if (pad) pad.hidden = paper;
    if (photo) photo.hidden = !paper;
  };
  methods.forEach(function (m) { m.addEventListener("change", sync); });
  sync();
  form.addEventListener("submit", function () {
    if (hidden) hidden.value = drawn && canvas ? canvas.toDataURL("image/png") : "";
  });
  if (navigator.geolocation && form.querySelector("input[name=latitude]")) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.querySelector("input[name=latitude]").value = pos.coords.latitude.toFixed(6);
      form.querySelector("input[name=longitude]").value = pos.coords.longitude.toFixed(6);
    }, function () {}, { timeout: 5000, maximumAge: 60000 });
  }
})();
