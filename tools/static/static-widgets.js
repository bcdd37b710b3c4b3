// The static edition's widget renderer (written into site/_static/course/ by tools/book.py).
//
// 1. Renders the widgets embedded in the page with the official HTML manager
//    (@jupyter-widgets/html-manager, loaded from _static/html-manager/dist/libembed-amd.js),
//    as its own embed-amd.js would, but keeping the manager so the widget models can be read.
// 2. Makes each lesson widget listed in the page's manifest (<script id="course-frames">,
//    written by tools/book.py) move with no kernel: when one of its controls changes, the
//    figure shows the frame drawn ahead for that grid point (tools/frames.py, the widget's own
//    code) and the readout shows its text. The figure carries the view's alt text (the
//    manifest's "alt", the live widget's tooltip) as its alt and title; only its src changes
//    on a move, so the alt text and the sliders' keyboard handling stay as they are.
//
// Frames are fetched lazily: the neighbours of the saved setting at once, all of a widget's
// frames the first time a pointer or the keyboard focus enters it. For tests: each moving
// widget's root element gets data-course-widget (its index in the manifest),
// data-course-point (the index of the grid point it shows) and, once all its frames are
// decoded, data-course-frames="ready"; each of its controls gets data-course-control (the
// control's index); <body> gets data-course-widgets="ready" when every widget is wired.
(function () {
  "use strict";
  var here = document.currentScript && document.currentScript.src;
  var staticUrl = new URL("..", here || document.baseURI);  // .../_static/

  function whenLoaded(run) {
    if (document.readyState === "complete") {
      run();
    } else {
      window.addEventListener("load", run);
    }
  }

  var script = document.createElement("script");
  script.src = new URL("html-manager/dist/libembed-amd.js", staticUrl).href;
  script.onload = function () {
    window.require(["@jupyter-widgets/html-manager"], function (hm) {
      whenLoaded(function () {
        render(hm).catch(function (err) { console.error("course widgets:", err); });
      });
    });
  };
  document.body.appendChild(script);

  async function render(hm) {
    var stateTag = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
    if (!stateTag) {
      return;
    }
    var manager = new hm.HTMLManager({ loader: hm.requireLoader });
    var models = await manager.set_state(JSON.parse(stateTag.textContent));
    var viewTags = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
    await Promise.all(Array.prototype.map.call(viewTags, async function (tag) {
      var id = JSON.parse(tag.textContent).model_id;
      var model = models.find(function (m) { return m.model_id === id; });
      if (model === undefined || tag.parentElement === null) {
        return;
      }
      var host = document.createElement("div");
      host.className = "widget-subarea";
      tag.parentElement.insertBefore(host, tag);
      var view = await manager.create_view(model);
      await manager.display_view(view, host);
    }));
    var data = document.getElementById("course-frames");
    if (data) {
      var manifest = JSON.parse(data.textContent);
      for (var i = 0; i < manifest.widgets.length; i++) {
        await wire(manager, manifest.widgets[i], i);
      }
    }
    document.body.setAttribute("data-course-widgets", "ready");
  }

  async function viewElements(model) {
    var views = await Promise.all(Object.values(model.views || {}));
    return views.map(function (v) { return v.el; });
  }

  function nearest(values, value, log) {
    var best = 0;
    var f = log ? Math.log : function (x) { return x; };
    for (var i = 1; i < values.length; i++) {
      if (Math.abs(f(values[i]) - f(value)) < Math.abs(f(values[best]) - f(value))) {
        best = i;
      }
    }
    return best;
  }

  async function wire(manager, w, number) {
    var controls = await Promise.all(w.controls.map(function (c) { return manager.get_model(c.model); }));
    for (var j = 0; j < controls.length; j++) {
      (await viewElements(controls[j])).forEach(function (el) { el.setAttribute("data-course-control", String(j)); });
    }
    var readout = await manager.get_model(w.readout);
    var images = w.image ? await viewElements(await manager.get_model(w.image)) : [];
    if (w.alt) {  // a real alt, not only the title the widget's tooltip gives
      images.forEach(function (img) { img.setAttribute("alt", w.alt); img.setAttribute("title", w.alt); });
    }
    var roots = await viewElements(await manager.get_model(w.root));
    var sizes = w.controls.map(function (c) { return c.values.length; });
    var kept = {};  // url -> Image: fetched and decoded frames stay in memory
    var busy = false;

    function position(c, model) {
      if (c.kind === "select") {
        return Math.max(c.values.indexOf(model.get("index")), 0);
      }
      if (c.kind === "bool") {
        return model.get("value") ? 1 : 0;
      }
      return nearest(c.values, model.get("value"), c.kind === "log");
    }

    function flat(point) {
      return point.reduce(function (acc, p, i) { return acc * sizes[i] + p; }, 0);
    }

    function unflat(index) {
      var point = [];
      for (var i = sizes.length - 1; i >= 0; i--) {
        point.unshift(index % sizes[i]);
        index = Math.floor(index / sizes[i]);
      }
      return point;
    }

    function setControls(point) {
      busy = true;
      try {
        point.forEach(function (p, i) {
          var c = w.controls[i];
          controls[i].set(c.kind === "select" ? "index" : "value", c.values[p]);
        });
      } finally {
        busy = false;
      }
    }

    function fetchFrame(index) {
      var f = w.frame_of[index];
      if (f === null || f === undefined) {
        return null;
      }
      var url = w.frames[f];
      if (!kept[url]) {
        var img = new Image();
        img.src = url;
        kept[url] = img.decode().catch(function () {}).then(function () { return img; });
      }
      return kept[url];
    }

    function neighbours(index) {
      var point = unflat(index);
      var out = [];
      point.forEach(function (p, i) {
        [-1, 1].forEach(function (d) {
          if (p + d >= 0 && p + d < sizes[i]) {
            var q = point.slice();
            q[i] = p + d;
            out.push(flat(q));
          }
        });
      });
      return out;
    }

    function show() {
      if (busy) {
        return;
      }
      var index = flat(w.controls.map(function (c, i) { return position(c, controls[i]); }));
      var to = w.snap[String(index)];
      if (to !== undefined) {  // the live widget's links move another control too (e.g. k <= n)
        setControls(unflat(to));
        index = to;
      }
      var f = w.frame_of[index];
      if (f !== null && f !== undefined) {
        images.forEach(function (img) { img.src = w.frames[f]; });
      }
      readout.set("value", w.readouts[w.readout_of[index]]);
      roots.forEach(function (el) { el.setAttribute("data-course-point", String(index)); });
      neighbours(index).forEach(fetchFrame);
    }

    var all = null;
    function fetchAll() {
      if (all === null) {
        roots.forEach(function (el) { el.setAttribute("data-course-frames", "loading"); });
        var order = w.frame_of.map(function (_, i) { return i; });
        all = Promise.all(order.map(fetchFrame)).then(function () {
          roots.forEach(function (el) { el.setAttribute("data-course-frames", "ready"); });
        });
      }
      return all;
    }

    controls.forEach(function (model, i) {
      model.on(w.controls[i].kind === "select" ? "change:index" : "change:value", show);
    });
    roots.forEach(function (el) {
      el.setAttribute("data-course-widget", String(number));
      el.setAttribute("data-course-point", String(w.saved));
      el.addEventListener("pointerenter", fetchAll, { once: true });
      el.addEventListener("focusin", fetchAll, { once: true });
      el.addEventListener("touchstart", fetchAll, { once: true, passive: true });
    });
    neighbours(w.saved).forEach(fetchFrame);
  }
})();
