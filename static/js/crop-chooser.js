// The crop chooser of one use of an image (a hero, a body image, a gallery item).
//
// Each `input[data-crop-chooser]` (cms/media/crop_fields.py) holds "x, y, width, height" in
// the original's pixels, and works typed by hand. Here it gets the chosen picture to drag a
// rectangle on, and beside it what every rendition of the use will show: the admin answers
// each rendition's area (cms/media/crop_views.py, Wagtail's own crop computation) and it is
// drawn on a canvas. No inline markup or styles: only DOM and CSSOM, which the admin's CSP
// allows. Inputs StreamField adds later are found by a MutationObserver.
(function () {
  "use strict";

  var PREVIEW_SIDE = 160; // px: the longer side of a rendition's preview

  function el(tag, className) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }

  function parse(text) {
    var parts = String(text || "").split(",").map(function (part) { return part.trim(); });
    if (parts.length !== 4 || !parts.every(function (part) { return /^\d+$/.test(part); })) {
      return null;
    }
    var n = parts.map(Number);
    return n[2] >= 1 && n[3] >= 1 ? { x: n[0], y: n[1], width: n[2], height: n[3] } : null;
  }

  function imageInput(input) {
    var id = input.id.replace(/focal_point$/, "image");
    return id !== input.id ? document.getElementById(id) : null;
  }

  function CropChooser(input, source) {
    this.input = input;
    this.source = source;
    this.use = input.getAttribute("data-crop-chooser") || "image";
    this.url = input.getAttribute("data-crop-preview-url") || "";
    this.info = null;
    this.imageId = "";
    this.pending = null;
    this.asked = 0;
    this.build();
    this.watch();
    this.refresh();
  }

  CropChooser.prototype.build = function () {
    var box = (this.box = el("div", "crop-chooser"));
    box.hidden = true;
    var hint = el("p", "crop-chooser__hint");
    hint.textContent =
      "Drag across the picture to mark the area this use must keep. The dashed frame is " +
      "the image's own focal point.";
    this.stage = el("div", "crop-chooser__stage");
    this.picture = el("img", "crop-chooser__picture");
    this.picture.alt = "";
    this.picture.draggable = false;
    this.library = el("div", "crop-chooser__frame crop-chooser__frame--library");
    this.frame = el("div", "crop-chooser__frame");
    this.stage.append(this.picture, this.library, this.frame);
    this.clear = el("button", "button button-small button-secondary crop-chooser__clear");
    this.clear.type = "button";
    this.clear.textContent = "Follow the image's own focal point";
    this.error = el("p", "crop-chooser__error");
    this.error.setAttribute("role", "alert");
    var heading = el("p", "crop-chooser__heading");
    heading.textContent = "What each rendition of this use shows:";
    this.previews = el("div", "crop-chooser__previews");
    box.append(hint, this.stage, this.clear, this.error, heading, this.previews);
    this.input.insertAdjacentElement("afterend", box);
  };

  CropChooser.prototype.watch = function () {
    var self = this;
    this.input.addEventListener("input", function () { self.later(); });
    this.source.addEventListener("change", function () { self.refresh(); });
    // Wagtail's chooser sets the hidden input's value; a change event is not promised.
    window.setInterval(function () {
      if (self.source.value !== self.imageId) self.refresh();
    }, 700);
    this.clear.addEventListener("click", function () { self.set(""); });
    this.picture.addEventListener("load", function () { self.draw(); });
    window.addEventListener("resize", function () { self.draw(); });
    this.stage.addEventListener("pointerdown", function (event) { self.startDrag(event); });
  };

  CropChooser.prototype.set = function (text) {
    this.input.value = text;
    this.input.dispatchEvent(new Event("input", { bubbles: true }));
    this.input.dispatchEvent(new Event("change", { bubbles: true }));
  };

  CropChooser.prototype.later = function () {
    var self = this;
    window.clearTimeout(this.pending);
    this.pending = window.setTimeout(function () { self.refresh(); }, 250);
    this.drawFrame();
  };

  CropChooser.prototype.refresh = function () {
    var self = this;
    this.imageId = this.source.value;
    if (!this.imageId || !this.url) {
      this.box.hidden = true;
      return;
    }
    var asked = ++this.asked;
    var address =
      this.url.replace(/0\/$/, encodeURIComponent(this.imageId) + "/") +
      "?use=" + encodeURIComponent(this.use) +
      "&focal_point=" + encodeURIComponent(this.input.value);
    fetch(address, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (info) {
        if (asked !== self.asked) return; // a newer answer is on its way
        self.info = info;
        self.box.hidden = false;
        self.error.textContent = info.error || "";
        if (self.picture.getAttribute("src") !== info.preview.url) {
          self.picture.src = info.preview.url; // drawn once loaded
        } else {
          self.draw();
        }
      })
      .catch(function () {
        if (asked === self.asked) self.box.hidden = true; // the text input still works
      });
  };

  CropChooser.prototype.scale = function () {
    return this.info ? this.picture.clientWidth / this.info.width : 0;
  };

  CropChooser.prototype.place = function (frame, rect) {
    var k = this.scale();
    frame.hidden = !rect || !k;
    if (frame.hidden) return;
    frame.style.left = rect.x * k + "px";
    frame.style.top = rect.y * k + "px";
    frame.style.width = rect.width * k + "px";
    frame.style.height = rect.height * k + "px";
  };

  CropChooser.prototype.drawFrame = function () {
    this.place(this.frame, parse(this.input.value));
    var own = this.info && this.info.focal_point;
    this.place(
      this.library,
      own ? { x: own[0], y: own[1], width: own[2], height: own[3] } : null
    );
  };

  CropChooser.prototype.draw = function () {
    if (!this.info || !this.picture.complete || !this.picture.naturalWidth) return;
    this.drawFrame();
    var info = this.info;
    var k = this.picture.naturalWidth / info.width;
    var figures = info.renditions.map(function (rendition) {
      var rect = rendition.rect;
      var size = rendition.size;
      var fit = PREVIEW_SIDE / Math.max(size[0], size[1]);
      var canvas = el("canvas", "crop-chooser__preview");
      canvas.width = Math.max(1, Math.round(size[0] * fit));
      canvas.height = Math.max(1, Math.round(size[1] * fit));
      canvas.setAttribute("data-rect", rect.join(","));
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", rendition.name + " crop");
      canvas.getContext("2d").drawImage(
        this.picture,
        rect[0] * k, rect[1] * k, (rect[2] - rect[0]) * k, (rect[3] - rect[1]) * k,
        0, 0, canvas.width, canvas.height
      );
      var figure = el("figure", "crop-chooser__rendition");
      var caption = el("figcaption");
      caption.textContent = rendition.name + " (" + size[0] + "×" + size[1] + ")";
      figure.append(canvas, caption);
      return figure;
    }, this);
    this.previews.replaceChildren.apply(this.previews, figures);
  };

  CropChooser.prototype.point = function (event) {
    var bounds = this.picture.getBoundingClientRect();
    var k = this.scale();
    var x = Math.round((event.clientX - bounds.left) / k);
    var y = Math.round((event.clientY - bounds.top) / k);
    return {
      x: Math.min(Math.max(x, 0), this.info.width),
      y: Math.min(Math.max(y, 0), this.info.height),
    };
  };

  CropChooser.prototype.startDrag = function (event) {
    if (!this.info || event.button !== 0) return;
    event.preventDefault();
    var self = this;
    var start = this.point(event);
    this.stage.setPointerCapture(event.pointerId);
    function move(moveEvent) {
      var end = self.point(moveEvent);
      var x = Math.min(start.x, end.x);
      var y = Math.min(start.y, end.y);
      var width = Math.max(1, Math.abs(end.x - start.x));
      var height = Math.max(1, Math.abs(end.y - start.y));
      width = Math.min(width, self.info.width - x);
      height = Math.min(height, self.info.height - y);
      self.input.value = [x, y, width, height].join(", ");
      self.drawFrame();
    }
    function stop(upEvent) {
      move(upEvent);
      self.stage.removeEventListener("pointermove", move);
      self.stage.removeEventListener("pointerup", stop);
      self.set(self.input.value);
    }
    this.stage.addEventListener("pointermove", move);
    this.stage.addEventListener("pointerup", stop);
  };

  function enhance(root) {
    var inputs = (root.querySelectorAll ? root : document).querySelectorAll(
      "input[data-crop-chooser]"
    );
    inputs.forEach(function (input) {
      if (input.hasAttribute("data-crop-ready")) return;
      var source = imageInput(input);
      if (!source) return;
      input.setAttribute("data-crop-ready", "");
      new CropChooser(input, source);
    });
  }

  function start() {
    enhance(document);
    new MutationObserver(function () { enhance(document); }).observe(document.body, {
      childList: true,
      subtree: true,
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
