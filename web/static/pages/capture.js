/* Capture on phones, for attachment fields declared `capture: camera` or `capture: signature`.

   Photos are shrunk (longest side 1600 px, JPEG stepped down to <= 400 KB) and stamped with the time, the
   fields named in `stamp` and GPS when the phone gives it; a signature is drawn on a pad and kept as a PNG.
   Either way the result goes back INTO the field's own <input type=file> (DataTransfer), marked
   data-captured="1", so a plain multipart submit or anything reading `new FormData(form)` (the offline
   drafts) carries it. A form sent with files while online shows upload progress and offers 重试 after a
   network failure, nothing typed lost. Without this script the inputs are ordinary file inputs. */
(function () {
  "use strict";

  var MAX_BYTES = 400 * 1024;
  var LONGEST_SIDE = 1600;
  var QUALITIES = [0.85, 0.75, 0.65, 0.55, 0.45, 0.38];
  var GPS_WAIT_MS = 1500;
  var zh = (document.documentElement.lang || "zh").toLowerCase().indexOf("zh") === 0;
  var TEXT = zh ? {
    clear: "清除", sign_here: "请在框内用手指签名", signed: "已签名", working: "正在处理照片…",
    uploading: "正在上传", failed: "网络中断，上传没有完成。填写的内容和照片都还在。", retry: "重试",
    remove: "移除", photo: "照片", pad: "签名板"
  } : {
    clear: "Clear", sign_here: "Sign inside the box with your finger", signed: "Signed",
    working: "Preparing photos…", uploading: "Uploading", failed: "The network dropped; the upload did not finish. " +
    "What you typed and the photos are still here.", retry: "Retry", remove: "Remove", photo: "Photo",
    pad: "Signature pad"
  };

  var pending = [];   // photo work in progress: a submit waits for it

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  /* Put `files` into the input as if the user had chosen them, and say so to listeners. */
  function putFiles(input, files) {
    var transfer = new DataTransfer();
    files.forEach(function (file) { transfer.items.add(file); });
    input.files = transfer.files;
    input.setAttribute("data-captured", files.length ? "1" : "0");
    input._capturing = true;
    input.dispatchEvent(new Event("input", {bubbles: true}));
    input.dispatchEvent(new Event("change", {bubbles: true}));
    input._capturing = false;
  }

  /* -- the stamp's words ------------------------------------------------------------------------ */
  function localTime(zone) {
    var options = {year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
                   hourCycle: "h23"};
    var parts = {};
    try {
      new Intl.DateTimeFormat("en-GB", Object.assign({timeZone: zone || "Asia/Shanghai"}, options))
        .formatToParts(new Date()).forEach(function (p) { parts[p.type] = p.value; });
    } catch (error) {
      new Intl.DateTimeFormat("en-GB", options).formatToParts(new Date())
        .forEach(function (p) { parts[p.type] = p.value; });
    }
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }

  function shownValue(form, name) {
    var wrapper = form.querySelector('[data-field="' + name + '"]');
    if (!wrapper) return "";
    var select = wrapper.querySelector("select");
    if (select && select.selectedIndex >= 0 && select.value) return select.options[select.selectedIndex].text.trim();
    var input = wrapper.querySelector("input:not([type=hidden]):not([type=file]), textarea");
    if (input && input.value) return input.value.trim();
    var out = wrapper.querySelector("[data-out], .readonly-value, output");
    return out ? out.textContent.trim() : "";
  }

  var lastPosition = null;
  var asking = null;
  function askPosition() {
    if (asking || !navigator.geolocation) return asking;
    asking = new Promise(function (resolve) {
      navigator.geolocation.getCurrentPosition(function (position) {
        lastPosition = position;
        resolve(position);
      }, function () { resolve(null); }, {enableHighAccuracy: true, timeout: 8000, maximumAge: 120000});
    });
    asking.then(function () { asking = null; });
    return asking;
  }
  function positionSoon() {   // never blocks long: the photo is stamped without GPS if none comes
    var waiting = askPosition() || Promise.resolve(lastPosition);
    return Promise.race([waiting, new Promise(function (r) { setTimeout(r, GPS_WAIT_MS); })])
      .then(function () { return lastPosition; });
  }

  function stampLines(input, position) {
    var form = input.form;
    var words = (input.getAttribute("data-stamp") || "").split(/\s+/).filter(Boolean)
      .map(function (name) { return form ? shownValue(form, name) : ""; }).filter(Boolean);
    var lines = [localTime(input.getAttribute("data-zone"))];
    if (words.length) lines.push(words.join(" · "));
    if (position && position.coords) {
      var c = position.coords;
      lines.push("GPS " + c.latitude.toFixed(5) + ", " + c.longitude.toFixed(5) +
                 (c.accuracy ? " ±" + Math.round(c.accuracy) + "m" : ""));
    }
    return lines;
  }

  /* -- photos: decode upright, shrink, stamp, compress ----------------------------------------- */
  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, {imageOrientation: "from-image"}).catch(function () { return viaImage(file); });
    }
    return viaImage(file);
  }
  function viaImage(file) {
    return new Promise(function (resolve, reject) {
      var image = new Image();
      var url = URL.createObjectURL(file);
      image.onload = function () { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error("not an image")); };
      image.src = url;
    });
  }

  function drawStamp(context, width, height, lines) {
    var size = Math.max(14, Math.round(Math.max(width, height) / 42));
    var gap = Math.round(size * 0.35);
    var band = lines.length * (size + gap) + gap * 2;
    context.fillStyle = "rgba(0, 0, 0, 0.6)";
    context.fillRect(0, height - band, width, band);
    context.fillStyle = "#ffffff";
    context.textBaseline = "top";
    context.font = "600 " + size + 'px "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
    lines.forEach(function (line, index) {
      context.fillText(line, gap * 2, height - band + gap + index * (size + gap), width - gap * 4);
    });
  }

  function toBlob(canvas, quality) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); });
  }

  function compress(canvas) {
    var index = 0;
    function attempt(source) {
      return toBlob(source, QUALITIES[index]).then(function (blob) {
        if (blob && blob.size <= MAX_BYTES) return blob;
        index += 1;
        if (index < QUALITIES.length) return attempt(source);
        index = 0;   // still too large at the lowest quality: a smaller picture
        var smaller = element("canvas");
        smaller.width = Math.max(1, Math.round(source.width * 0.8));
        smaller.height = Math.max(1, Math.round(source.height * 0.8));
        smaller.getContext("2d").drawImage(source, 0, 0, smaller.width, smaller.height);
        return attempt(smaller);
      });
    }
    return attempt(canvas);
  }

  function processPhoto(input, file, position) {
    if (!/^image\//.test(file.type)) return Promise.resolve(file);
    return decode(file).then(function (picture) {
      var scale = Math.min(1, LONGEST_SIDE / Math.max(picture.width, picture.height));
      var canvas = element("canvas");
      canvas.width = Math.max(1, Math.round(picture.width * scale));
      canvas.height = Math.max(1, Math.round(picture.height * scale));
      var context = canvas.getContext("2d");
      context.drawImage(picture, 0, 0, canvas.width, canvas.height);
      if (picture.close) picture.close();
      drawStamp(context, canvas.width, canvas.height, stampLines(input, position));
      return compress(canvas);
    }).then(function (blob) {
      var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
      return new File([blob], name, {type: "image/jpeg", lastModified: Date.now()});
    }).catch(function () { return file; });   // unreadable here: the server shrinks it (or refuses it)
  }

  function cameraInput(input) {
    var kept = [];
    var list = element("ul", "capture-photos");
    var status = element("p", "capture-status muted small");
    status.setAttribute("role", "status");
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);

    function render() {
      list.textContent = "";
      kept.forEach(function (file, index) {
        var item = element("li", "capture-photo");
        var image = element("img");
        image.src = URL.createObjectURL(file);
        image.alt = TEXT.photo + " " + (index + 1);
        var remove = element("button", "capture-remove", "×");
        remove.type = "button";
        remove.setAttribute("aria-label", TEXT.remove + " " + image.alt);
        remove.addEventListener("click", function () {
          kept.splice(index, 1);
          putFiles(input, kept);
          render();
        });
        item.appendChild(image);
        item.appendChild(remove);
        list.appendChild(item);
      });
    }

    input.addEventListener("click", askPosition);
    input.addEventListener("change", function () {
      if (input._capturing) return;
      var fresh = Array.prototype.filter.call(input.files, function (f) { return kept.indexOf(f) < 0; });
      if (!fresh.length) { putFiles(input, kept); return; }   // the picker was cancelled: keep what was taken
      status.textContent = TEXT.working;
      var work = positionSoon().then(function (position) {
        return Promise.all(fresh.map(function (file) { return processPhoto(input, file, position); }));
      }).then(function (done) {
        kept = input.multiple ? kept.concat(done) : done.slice(0, 1);
        putFiles(input, kept);
        render();
        status.textContent = "";
      });
      pending.push(work);
      work.then(function () { pending.splice(pending.indexOf(work), 1); });
    });
  }

  /* -- signature pad ---------------------------------------------------------------------------- */
  function signaturePad(input) {
    var pad = element("div", "signature-pad");
    var canvas = element("canvas", "signature-canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", TEXT.pad);
    var tools = element("div", "signature-tools");
    var hint = element("span", "muted small", TEXT.sign_here);
    var clear = element("button", "button button-secondary button-small", TEXT.clear);
    clear.type = "button";
    tools.appendChild(hint);
    tools.appendChild(clear);
    pad.appendChild(canvas);
    pad.appendChild(tools);
    input.insertAdjacentElement("afterend", pad);
    input.classList.add("capture-hidden");
    input.setAttribute("tabindex", "-1");
    var label = input.form && input.id ? input.form.querySelector('label[for="' + input.id + '"]') : null;
    if (label) label.addEventListener("click", function (event) { event.preventDefault(); });

    var context = canvas.getContext("2d");
    var drawn = false;
    var last = null;
    var ratio = window.devicePixelRatio || 1;

    function blank() {
      context.setTransform(1, 0, 0, 1, 0, 0);
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.lineWidth = 2.6;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#111827";
    }
    function size() {
      var width = Math.max(200, Math.round(pad.clientWidth || 320));
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(180 * ratio);
      canvas.style.height = "180px";
      blank();
      drawn = false;
    }
    size();

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {x: (event.clientX - box.left) * (canvas.width / ratio) / box.width,
              y: (event.clientY - box.top) * (canvas.height / ratio) / box.height};
    }
    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      if (canvas.setPointerCapture) canvas.setPointerCapture(event.pointerId);
      last = point(event);
      context.beginPath();
      context.arc(last.x, last.y, context.lineWidth / 2, 0, Math.PI * 2);
      context.fillStyle = context.strokeStyle;
      context.fill();
      drawn = true;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!last) return;
      event.preventDefault();
      var next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });
    function finish() {
      if (!last) return;
      last = null;
      if (!drawn) return;
      var work = new Promise(function (resolve) { canvas.toBlob(resolve, "image/png"); }).then(function (blob) {
        putFiles(input, [new File([blob], "signature.png", {type: "image/png", lastModified: Date.now()})]);
        hint.textContent = TEXT.signed;
        pad.classList.add("is-signed");
      });
      pending.push(work);
      work.then(function () { pending.splice(pending.indexOf(work), 1); });
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    canvas.addEventListener("pointerleave", finish);
    clear.addEventListener("click", function () {
      blank();
      drawn = false;
      putFiles(input, []);
      hint.textContent = TEXT.sign_here;
      pad.classList.remove("is-signed");
    });
  }

  /* -- sending with progress and retry ---------------------------------------------------------- */
  function hasFiles(form) {
    return Array.prototype.some.call(form.querySelectorAll('input[type="file"]'), function (input) {
      return input.files && input.files.length > 0;
    });
  }

  function sender(form) {
    var box = element("div", "capture-upload");
    box.hidden = true;
    var bar = element("progress", "capture-bar");
    bar.max = 100;
    bar.value = 0;
    var words = element("span", "capture-upload-text small");
    words.setAttribute("role", "status");
    var retry = element("button", "button button-primary button-small capture-retry", TEXT.retry);
    retry.type = "button";
    retry.hidden = true;
    box.appendChild(bar);
    box.appendChild(words);
    box.appendChild(retry);
    var actions = form.querySelector(".form-actions") || form;
    actions.insertAdjacentElement("beforebegin", box);
    var buttons = function (disabled) {
      form.querySelectorAll('button[type="submit"]').forEach(function (b) { b.disabled = disabled; });
    };

    function send(body) {
      box.hidden = false;
      box.classList.remove("is-failed");
      retry.hidden = true;
      bar.value = 0;
      words.textContent = TEXT.uploading + " 0%";
      buttons(true);
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) return;
        var percent = Math.round(event.loaded * 100 / event.total);
        bar.value = percent;
        words.textContent = TEXT.uploading + " " + percent + "%";
      });
      request.addEventListener("load", function () {
        var sent = new URL(form.action, window.location.href).href;
        if (request.responseURL && request.responseURL !== sent && request.status < 400) {
          /* saved: show the page it redirected to as it came (loading it again would lose its "saved" notice,
             which the server shows once) */
          window.history.replaceState(null, "", request.responseURL);
        }
        document.open();   // that page, or the form again with what the server said about it (files kept by id)
        document.write(request.responseText);
        document.close();
      });
      var failed = function () {
        buttons(false);
        box.classList.add("is-failed");
        words.textContent = TEXT.failed;
        retry.hidden = false;
        retry.onclick = function () { send(body); };
        retry.focus();
        form.dispatchEvent(new CustomEvent("formwork:upload-failed", {bubbles: true, detail: {body: body}}));
      };
      request.addEventListener("error", failed);
      request.addEventListener("timeout", failed);
      request.send(body);
    }

    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented || !window.FormData || !window.XMLHttpRequest) return;
      if (!navigator.onLine && window.FormworkOffline) return;   // the offline drafts take it
      if (!hasFiles(form) && !pending.length) return;           // nothing to upload: the plain submit
      event.preventDefault();
      var submitter = event.submitter;
      Promise.all(pending.slice()).then(function () {
        var body = new FormData(form);
        if (submitter && submitter.name) body.set(submitter.name, submitter.value);
        send(body);
      });
    });
  }

  document.querySelectorAll('input[type="file"][data-capture="camera"]').forEach(cameraInput);
  document.querySelectorAll('input[type="file"][data-capture="signature"]').forEach(signaturePad);
  document.querySelectorAll("form.record-form, form.task-form").forEach(function (form) {
    if (form.querySelector('input[type="file"]')) sender(form);
  });
})();
