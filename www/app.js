/*
 * pcapchart - optional niceties: drop a file anywhere on the page, and an
 * upload progress bar (XHR to the same POST /). Without JavaScript the plain
 * form does the same job.
 */
(function () {
  'use strict';

  var lastFile = null;

  function $(sel, root) { return (root || document).querySelector(sel); }

  function fillExport() {
    var input = $('form.export input[type=file]');
    if (!input || !lastFile || typeof DataTransfer !== 'function') return;
    try {
      var dt = new DataTransfer();
      dt.items.add(lastFile);
      input.files = dt.files;
    } catch (e) { /* older browsers: the user picks the file again */ }
  }

  function replaceMain(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var fresh = $('main', doc);
    var cur = $('main');
    if (!fresh || !cur) return false;
    cur.replaceWith(document.adoptNode(fresh));
    document.title = doc.title;
    bind();
    fillExport();
    var result = $('#result');
    if (result) result.scrollIntoView({ behavior: 'smooth', block: 'start' });
    return true;
  }

  function bind() {
    var form = $('#upload');
    if (!form || !window.FormData || !window.XMLHttpRequest) return;
    var input = $('input[type=file]', form);
    var drop = $('.drop', form);
    var name = $('.drop-name', form);
    var bar = $('progress', form);
    var status = $('.status', form);
    var button = $('button[type=submit]', form);

    function show() {
      var f = input.files && input.files[0];
      name.textContent = f ? f.name : '';
      drop.classList.toggle('has-file', !!f);
    }
    input.addEventListener('change', show);

    form.addEventListener('submit', function (ev) {
      var f = input.files && input.files[0];
      if (!f) return;
      ev.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.getAttribute('action') || '/');
      xhr.responseType = 'text';
      bar.hidden = false;
      bar.value = 0;
      button.disabled = true;
      status.textContent = 'Uploading\u2026';
      xhr.upload.addEventListener('progress', function (e) {
        if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
      });
      xhr.upload.addEventListener('load', function () {
        bar.removeAttribute('value'); /* indeterminate while tshark reads it */
        status.textContent = 'Reading the capture\u2026';
      });
      xhr.addEventListener('load', function () {
        lastFile = f;
        if (!replaceMain(xhr.responseText)) {
          status.textContent = 'Unexpected answer (HTTP ' + xhr.status + ')';
          button.disabled = false;
          bar.hidden = true;
        }
      });
      xhr.addEventListener('error', function () {
        status.textContent = 'The upload failed: the connection was closed.';
        button.disabled = false;
        bar.hidden = true;
      });
      xhr.send(new FormData(form));
    });
  }

  /* drop anywhere: the file goes into the upload form */
  function dragging(on) {
    var drop = $('#upload .drop');
    if (drop) drop.classList.toggle('over', on);
  }
  document.addEventListener('dragover', function (e) {
    e.preventDefault();
    dragging(true);
  });
  document.addEventListener('dragleave', function (e) {
    if (!e.relatedTarget) dragging(false);
  });
  document.addEventListener('drop', function (e) {
    e.preventDefault();
    dragging(false);
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

  bind();
})();
