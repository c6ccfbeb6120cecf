/*
 * pcapchart - the page without reloads. Everything here is an extra: the
 * form posts the file and "Update chart" gets the view without JavaScript.
 *
 *  - drop a file anywhere; upload with a progress bar (bytes sent), then an
 *    analysis indicator while tshark reads it;
 *  - once the server keeps the capture, every change of the controls (kind,
 *    series, interval, ...) fetches the same view of it (GET /c/<sha256>?...)
 *    without uploading again, and the address bar follows (back/forward too);
 *  - drag across the chart to zoom (start/end), "Reset zoom" to go back;
 *  - tooltips for the points, bars and intervals (the SVG's own <title>s);
 *  - PNG download made here from the SVG.
 */
(function () {
  'use strict';

  /*
   * The names the server shares (chart/names.h, written into the page by
   * page.c as a JSON data block): kinds, io values and the palette.
   */
  function readMeta() {
    var el = document.getElementById('pcapchart-meta');
    try {
      return JSON.parse(el ? el.textContent : '{}') || {};
    } catch (e) {
      return {};
    }
  }
  var META = readMeta();
  /* the colour a series row starts with, in <input type=color>'s lower case */
  var PALETTE = (META.palette || []).map(function (c) { return String(c).toLowerCase(); });
  /* the io values that read a series' field (sum, min, ...), not its frames */
  var OF_FIELD = (META.y || []).filter(function (y) { return y.of_field; })
    .map(function (y) { return y.name; });

  /* A field was typed: an io value that counts frames becomes sum, which reads it. */
  function fieldChanged() {
    var f = form(), y = f && f.elements.namedItem('y');
    var any = $$('.series-row input[name=field]').some(function (i) { return i.value.trim() !== ''; });
    if (any && y && OF_FIELD.length && OF_FIELD.indexOf(y.value) === -1) y.value = 'sum';
  }

  var lastFile = null;   /* the file uploaded last, to upload again if needed */
  var inflight = null;   /* the running request: {abort: fn} */

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(sel));
  }

  function form() { return $('#upload'); }
  function controls() { return $('#controls'); }
  function keptId() {
    var c = controls();
    return c ? c.getAttribute('data-id') : null;
  }

  function setStatus(text) {
    var s = $('#upload .status');
    if (s) s.textContent = text;
  }

  function fmtBytes(n) {
    if (n < 1024) return n + ' B';
    var u = ['KiB', 'MiB', 'GiB', 'TiB'], i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
    return n.toFixed(1) + ' ' + u[i];
  }

  /* ---- the query string of the controls ---- */

  function rowValues(li) {
    return {
      filter: ($('input[name=filter]', li) || {}).value || '',
      name: ($('input[name=name]', li) || {}).value || '',
      field: ($('input[name=field]', li) || {}).value || ''
    };
  }

  /*
   * The form's fields as a query string, as the browser would send them
   * without this script ("Update chart" is a GET form). The server makes the
   * canonical view of it (view_query): the answer's data-view, which goes to
   * the address bar. Left out: the file, retain (it concerns uploads), blank
   * fields (not given), and a row's colour while it is the palette's.
   */
  function formQuery() {
    var f = form(), q = new URLSearchParams(), rows = $$('.series-row', f || document);
    var colors = 0;
    if (!f) return '';
    new FormData(f).forEach(function (v, k) {
      if (typeof v !== 'string' || k === 'retain') return;
      if (k === 'color') {
        var li = rows[colors++];
        var i = li ? Number(li.getAttribute('data-row') || 1) - 1 : -1;
        q.append(k, v.toLowerCase() === PALETTE[i] ? '' : v);
        return;
      }
      /* paired by place: a blank filter, name or field of a row still counts */
      if (v.trim() === '' && k !== 'filter' && k !== 'name' && k !== 'field') return;
      q.append(k, v.trim());
    });
    /* a '+' of URLSearchParams is a space ('+' itself is %2B): say %20, as a URL does */
    return q.toString().replace(/\+/g, '%20');
  }

  function retainOff() {
    var r = form() && form().elements.namedItem('retain');
    return !!(r && r.checked);
  }

  /* ---- putting an answer on the page ---- */

  /* Replace the result section (or add it after the form) with the answer's. */
  function showResult(doc) {
    var fresh = $('#result', doc), cur = $('#result'), f = form();
    if (!fresh) return false;
    fresh = document.adoptNode(fresh);
    if (cur) cur.replaceWith(fresh);
    else if (f) f.insertAdjacentElement('afterend', fresh);
    enhanceResult();
    return true;
  }

  /* Take the answer's controls (after an upload: the kept capture's id). */
  function showControls(doc) {
    var fresh = $('#controls', doc), cur = controls();
    if (!fresh || !cur) return;
    cur.replaceWith(document.adoptNode(fresh));
    bindControls();
  }

  function parse(html) {
    return new DOMParser().parseFromString(html, 'text/html');
  }

  function busy(on) {
    var fig = $('#chart'), f = form();
    if (fig) fig.classList.toggle('busy', on);
    if (f) f.setAttribute('aria-busy', on ? 'true' : 'false');
    var bar = $('#upload .progress');
    if (bar) {
      bar.hidden = !on;
      if (on) bar.removeAttribute('value');
    }
  }

  /* ---- uploading ---- */

  function upload(file) {
    var f = form(), c = controls();
    var max = c ? Number(c.getAttribute('data-max-upload') || 0) : 0;
    if (max > 0 && file.size > max) {
      setStatus('This file is ' + fmtBytes(file.size) + ': the server takes at most ' +
                fmtBytes(max) + '.');
      return;
    }
    if (inflight) inflight.abort();
    var xhr = new XMLHttpRequest();
    var bar = $('#upload .progress');
    var data = new FormData(f);
    data.set('file', file, file.name);
    xhr.open('POST', '/');
    xhr.responseType = 'text';
    inflight = { abort: function () { xhr.abort(); } };
    if (bar) { bar.hidden = false; bar.max = file.size || 1; bar.value = 0; }
    setStatus('Uploading\u2026');
    xhr.upload.addEventListener('progress', function (e) {
      if (!bar) return;
      bar.max = e.total || file.size || 1;
      bar.value = e.loaded;
      setStatus('Uploading: ' + fmtBytes(e.loaded) + ' of ' + fmtBytes(e.total || file.size));
    });
    xhr.upload.addEventListener('load', function () {
      busy(true);
      setStatus('Reading the capture with tshark\u2026');
    });
    xhr.addEventListener('load', function () {
      inflight = null;
      busy(false);
      lastFile = file;
      var doc = parse(xhr.responseText);
      if (xhr.status === 200) showControls(doc);
      if (!showResult(doc)) {
        setStatus('Unexpected answer (HTTP ' + xhr.status + ')');
        return;
      }
      setStatus(xhr.status === 200 ? '' : 'The server answered ' + xhr.status + '.');
      var res = $('#result'), view = res && res.getAttribute('data-view');
      if (view) history.pushState({ view: view }, '', view);
      document.title = doc.title;
      if (res && xhr.status === 200) res.scrollIntoView({ block: 'nearest' });
    });
    xhr.addEventListener('error', function () {
      inflight = null;
      busy(false);
      setStatus('The upload failed: the connection was closed (too large, or the server ' +
                'went away).');
    });
    xhr.addEventListener('abort', function () { busy(false); });
    xhr.send(data);
  }

  /* ---- views of the kept capture ---- */

  function viewUrl() {
    var q = formQuery();
    return '/c/' + keptId() + (q ? '?' + q : '');
  }

  /* The canonical URL of the view shown (the server's), or null. */
  function shownView() {
    var res = $('#result');
    return res ? res.getAttribute('data-view') : null;
  }

  /*
   * Fetch url (an HTML view) and show it; push the server's canonical URL of
   * it to the history unless told.
   */
  function loadView(url, opts) {
    opts = opts || {};
    if (inflight && inflight.url === url) return; /* that one is on its way */
    if (inflight) inflight.abort();
    var ctl = typeof AbortController === 'function' ? new AbortController() : null;
    inflight = { url: url, abort: function () { if (ctl) ctl.abort(); } };
    busy(true);
    setStatus('Reading the capture with tshark\u2026');
    fetch(url, { signal: ctl ? ctl.signal : undefined, credentials: 'same-origin' })
      .then(function (r) {
        return r.text().then(function (t) { return { status: r.status, text: t }; });
      })
      .then(function (a) {
        inflight = null;
        busy(false);
        var doc = parse(a.text);
        if (a.status === 404 || a.status === 410) {
          /* not kept any more: upload again what we have, else say so */
          if (lastFile) {
            setStatus('The server no longer has the capture: uploading it again\u2026');
            upload(lastFile);
            return;
          }
          var c = controls();
          if (c) c.removeAttribute('data-id');
          var up = $('#upload button.update');
          if (up) up.remove();
        }
        if (opts.replaceControls) showControls(doc);
        showResult(doc);
        document.title = doc.title;
        setStatus(a.status === 200 ? '' : 'The server answered ' + a.status + '.');
        var canon = shownView() || url;
        if (!opts.noHistory && a.status === 200) history.pushState({ view: canon }, '', canon);
      })
      .catch(function (e) {
        if (e && e.name === 'AbortError') return;
        inflight = null;
        busy(false);
        setStatus('The server could not be reached.');
      });
  }

  /* A control changed: the same capture, the new view. */
  function refresh() {
    if (keptId()) {
      loadView(viewUrl());
    } else if (lastFile) {
      upload(lastFile); /* nothing kept (retain=0): send it again */
    }
  }

  /* ---- controls ---- */

  function kindChanged() {
    var k = form() && form().elements.namedItem('kind');
    var io = k && k.value === 'io';
    $$('.io-only').forEach(function (el) { el.hidden = !io; });
  }

  /* Show the series rows in use and one blank one; the rest behind "Add series". */
  function tidyRows() {
    var rows = $$('.series-row'), blank = false;
    rows.forEach(function (li) {
      var v = rowValues(li), used = v.filter !== '' || v.name !== '' || v.field !== '';
      var show = used || li.getAttribute('data-open') === '1' || !blank;
      if (!used && show) blank = true;
      li.hidden = !show;
      var rm = $('button.remove', li);
      if (rm) rm.hidden = !used && li.getAttribute('data-open') !== '1';
    });
    var add = $('.add-series');
    if (add) add.hidden = rows.every(function (li) { return !li.hidden; });
  }

  /*
   * The field boxes complete from the server's list of tshark's fields
   * (GET /api/fields?q=PREFIX), asked for at most every 150 ms of typing; the
   * options say each field's type and description.
   */
  var fieldTimer = 0, fieldAsked = '';
  function completeField(inp) {
    var q = inp.value.trim(), list = $('#pcc-fields');
    if (!list || q === fieldAsked || !/^[A-Za-z0-9._-]*$/.test(q)) return;
    clearTimeout(fieldTimer);
    fieldTimer = setTimeout(function () {
      fieldAsked = q;
      fetch('/api/fields?q=' + encodeURIComponent(q), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (doc) {
          if (!doc || doc.q !== fieldAsked) return;
          list.textContent = '';
          doc.fields.forEach(function (f) {
            var o = document.createElement('option');
            o.value = f.name;
            o.label = f.description + ' (' + f['class'] + (f.numeric ? '' : ', not a number') + ')';
            list.appendChild(o);
          });
        })
        .catch(function () { /* completion is a help: typing still works */ });
    }, 150);
  }

  function bindControls() {
    var c = controls();
    if (!c || c.getAttribute('data-bound')) return;
    c.setAttribute('data-bound', '1');
    kindChanged();
    tidyRows();

    c.addEventListener('input', function (e) {
      if (e.target && (e.target.name === 'field' || e.target.name === 'split')) {
        completeField(e.target);
      }
    });
    c.addEventListener('change', function (e) {
      var t = e.target;
      if (!t || !t.name) return;
      if (t.name === 'kind') kindChanged();
      if (t.name === 'retain') return; /* applies to the next upload */
      if (t.name === 'filter' || t.name === 'name' || t.name === 'field') tidyRows();
      if (t.name === 'field') fieldChanged();
      if (t.name === 'start' || t.name === 'end') {
        var reset = $('.reset-zoom');
        if (reset) reset.hidden = !(form().elements.namedItem('start').value ||
                                    form().elements.namedItem('end').value);
      }
      refresh();
    });
    c.addEventListener('click', function (e) {
      var t = e.target;
      if (!t || !t.closest) return;
      if (t.closest('.add-series')) {
        var blank = $$('.series-row').filter(function (li) {
          var v = rowValues(li);
          return !li.hidden && v.filter === '' && v.name === '' && v.field === '';
        })[0];
        var next = blank || $$('.series-row').filter(function (li) { return li.hidden; })[0];
        if (next) {
          next.setAttribute('data-open', '1');
          tidyRows();
          var inp = $('input[name=filter]', next);
          if (inp) inp.focus();
        }
      } else if (t.closest('button.remove')) {
        var li = t.closest('.series-row');
        var rv = rowValues(li), had = rv.filter !== '' || rv.name !== '' || rv.field !== '';
        li.removeAttribute('data-open');
        $$('input[type=text]', li).forEach(function (i) { i.value = ''; });
        var col = $('input[name=color]', li);
        if (col) col.value = PALETTE[Number(li.getAttribute('data-row')) - 1] || '#999999';
        tidyRows();
        var first = $('.series-row input[name=filter]');
        if (first) first.focus();
        if (had) refresh();
      } else if (t.closest('.reset-zoom')) {
        form().elements.namedItem('start').value = '';
        form().elements.namedItem('end').value = '';
        t.closest('.reset-zoom').hidden = true;
        refresh();
      }
    });
  }

  function bindForm() {
    var f = form();
    if (!f || !window.FormData || !window.XMLHttpRequest) return;
    var input = $('input[type=file]', f);
    var drop = $('.drop', f);
    var name = $('.drop-name', f);

    function show() {
      var file = input.files && input.files[0];
      name.textContent = file ? file.name + ' (' + fmtBytes(file.size) + ')' : '';
      drop.classList.toggle('has-file', !!file);
    }
    input.addEventListener('change', show);
    show();

    f.addEventListener('submit', function (ev) {
      var file = input.files && input.files[0];
      var sub = ev.submitter;
      var isUpdate = sub ? sub.classList.contains('update') : !file;
      ev.preventDefault();
      if (isUpdate && keptId()) {
        loadView(viewUrl());
      } else if (file) {
        upload(file);
      } else if (lastFile) {
        upload(lastFile);
      } else {
        setStatus('Choose a capture file first.');
        input.focus();
      }
    });
    bindControls();
  }

  /* ---- the chart: tooltips and zoom ---- */

  /*
   * The SVG's data extent (svg.h): seconds at SVG x, as the start= and end=
   * parameters count them, and the plot's left and right edge; null when the
   * chart has no time axis.
   */
  function timeScale(svg) {
    var ds = svg.dataset || {};
    var t0 = Number(ds.t0), x0 = Number(ds.x0), x1 = Number(ds.x1);
    var px0 = Number(ds.px0), px1 = Number(ds.px1);
    if (ds.x0 === undefined || ![t0, x0, x1, px0, px1].every(isFinite) || px1 <= px0) {
      return null;
    }
    return {
      left: px0,
      right: px1,
      at: function (x) { return t0 + x0 + (x - px0) / (px1 - px0) * (x1 - x0); }
    };
  }

  function svgX(svg, clientX, clientY) {
    var ctm = svg.getScreenCTM();
    if (!ctm) return null;
    var p = svg.createSVGPoint();
    p.x = clientX;
    p.y = clientY;
    return p.matrixTransform(ctm.inverse()).x;
  }

  function fmtSeconds(t) {
    var s = t.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
    return s === '-0' ? '0' : s;
  }

  function enhanceChart(fig) {
    var svg = $('svg', fig);
    var tip = $('.tip', fig);
    var box = $('.zoom-box', fig);
    var dragging = null;
    if (!svg) return;

    /* tooltips: the element's <title>, shown at once and styled */
    function tipOf(el) {
      for (; el && el !== svg; el = el.parentNode) {
        if (el.getAttribute && el.getAttribute('data-tip')) return el;
        var first = el.firstElementChild;
        if (first && first.tagName.toLowerCase() === 'title') {
          el.setAttribute('data-tip', first.textContent);
          first.remove(); /* no native tooltip on top of ours */
          return el;
        }
      }
      return null;
    }
    svg.addEventListener('pointermove', function (e) {
      if (!tip || dragging) return;
      var el = tipOf(e.target);
      if (!el) { tip.hidden = true; return; }
      var r = fig.getBoundingClientRect();
      tip.textContent = el.getAttribute('data-tip');
      tip.hidden = false;
      var x = e.clientX - r.left + 14, y = e.clientY - r.top + 14;
      if (x + tip.offsetWidth > r.width) x = Math.max(0, e.clientX - r.left - tip.offsetWidth - 10);
      if (y + tip.offsetHeight > r.height) y = Math.max(0, e.clientY - r.top - tip.offsetHeight - 10);
      tip.style.left = x + 'px';
      tip.style.top = y + 'px';
    });
    svg.addEventListener('pointerleave', function () { if (tip) tip.hidden = true; });

    /* zoom: drag across the plot */
    var span = timeScale(svg);
    if (!span || !box) return;
    fig.classList.add('zoomable');
    var hint = $('.zoom-hint');
    if (hint) hint.hidden = false;

    function clamp(x) { return Math.min(span.right, Math.max(span.left, x)); }
    function place(a, b) {
      var r = fig.getBoundingClientRect(), sr = svg.getBoundingClientRect();
      var scale = sr.width / (svg.viewBox.baseVal.width || sr.width);
      var left = Math.min(a, b), right = Math.max(a, b);
      box.style.left = (sr.left - r.left + left * scale) + 'px';
      box.style.width = ((right - left) * scale) + 'px';
      box.hidden = false;
    }
    svg.addEventListener('pointerdown', function (e) {
      if (e.button !== 0) return;
      var x = svgX(svg, e.clientX, e.clientY);
      if (x === null || x < span.left || x > span.right) return;
      dragging = { from: x, to: x };
      if (tip) tip.hidden = true;
      svg.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    svg.addEventListener('pointermove', function (e) {
      if (!dragging) return;
      dragging.to = clamp(svgX(svg, e.clientX, e.clientY));
      place(dragging.from, dragging.to);
    });
    function end(e) {
      if (!dragging) return;
      var d = dragging;
      dragging = null;
      box.hidden = true;
      if (e.type === 'pointercancel' || Math.abs(d.to - d.from) < 4) return;
      var t1 = span.at(Math.min(d.from, d.to)), t2 = span.at(Math.max(d.from, d.to));
      var f = form();
      f.elements.namedItem('start').value = fmtSeconds(t1);
      f.elements.namedItem('end').value = fmtSeconds(t2);
      var reset = $('.reset-zoom');
      if (reset) reset.hidden = false;
      refresh();
    }
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
  }

  /* ---- downloads ---- */

  /* The inline SVG as a standalone document (its tooltips put back). */
  function svgText() {
    var svg = $('#chart svg');
    if (!svg) return null;
    var copy = svg.cloneNode(true);
    $$('[data-tip]', copy).forEach(function (el) {
      var t = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      t.textContent = el.getAttribute('data-tip');
      el.removeAttribute('data-tip');
      el.insertBefore(t, el.firstChild);
    });
    return new XMLSerializer().serializeToString(copy);
  }

  function save(blob, name) {
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function savePng(button) {
    var text = svgText(), svg = $('#chart svg');
    if (!text || !svg) return;
    var w = svg.viewBox.baseVal.width || svg.width.baseVal.value;
    var h = svg.viewBox.baseVal.height || svg.height.baseVal.value;
    var url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
    var img = new Image();
    img.onload = function () {
      var scale = 2, canvas = document.createElement('canvas');
      canvas.width = w * scale;
      canvas.height = h * scale;
      var ctx = canvas.getContext('2d');
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0, w, h);
      URL.revokeObjectURL(url);
      canvas.toBlob(function (png) {
        if (png) save(png, button.getAttribute('data-name') || 'chart.png');
      }, 'image/png');
    };
    img.onerror = function () {
      URL.revokeObjectURL(url);
      setStatus('The PNG could not be made in this browser; download the SVG instead.');
    };
    img.src = url;
  }

  /* not kept: the export form gets the file without choosing it again */
  function fillExport() {
    var input = $('form.export input[type=file]');
    if (!input || !lastFile || typeof DataTransfer !== 'function') return;
    try {
      var dt = new DataTransfer();
      dt.items.add(lastFile);
      input.files = dt.files;
    } catch (e) { /* the user picks the file again */ }
  }

  function enhanceResult() {
    var res = $('#result');
    if (!res) return;
    var fig = $('#chart', res);
    if (fig) enhanceChart(fig);
    var png = $('button.png', res);
    if (png) {
      png.hidden = false;
      png.addEventListener('click', function () { savePng(png); });
    }
    fillExport();
  }

  /* ---- history, drop anywhere, start ---- */

  window.addEventListener('popstate', function () {
    if (/^\/c\/[0-9a-f]{64}/.test(location.pathname)) {
      loadView(location.pathname + location.search, { noHistory: true, replaceControls: true });
    } else {
      location.reload();
    }
  });

  function dragOver(on) {
    var drop = $('#upload .drop');
    if (drop) drop.classList.toggle('over', on);
  }
  document.addEventListener('dragover', function (e) {
    e.preventDefault();
    dragOver(true);
  });
  document.addEventListener('dragleave', function (e) {
    if (!e.relatedTarget) dragOver(false);
  });
  document.addEventListener('drop', function (e) {
    e.preventDefault();
    dragOver(false);
    var input = $('#upload input[type=file]');
    var files = e.dataTransfer && e.dataTransfer.files;
    if (!input || !files || !files.length) return;
    if (files.length > 1 && typeof DataTransfer === 'function') {
      var one = new DataTransfer(); /* the server takes one file per upload */
      one.items.add(files[0]);
      files = one.files;
    }
    input.files = files;
    input.dispatchEvent(new Event('change'));
  });

  bindForm();
  enhanceResult();
  var res = $('#result'), view = res && res.getAttribute('data-view');
  if (view && history.replaceState) history.replaceState({ view: view }, '', location.href);
})();
