// Herald admin pages: small enhancements. Everything works without this
// script: the forms post and the server re-renders.
(function () {
  'use strict';

  // The Send Webhook switches' rule, the server's own: an http or https URL
  // with a host, no user name or password, no fragment.
  function validWebhookURL(v) {
    v = v.trim();
    if (v === '' || v.indexOf('#') >= 0 || v.length > 2048) return false;
    var u;
    try { u = new URL(v); } catch (e) { return false; }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    if (!u.hostname || u.username || u.password) return false;
    return true;
  }

  var url = document.getElementById('webhook_url');
  if (url && !url.matches(':disabled')) {
    var switches = document.querySelectorAll('input[data-switch]');
    var note = document.getElementById('switch-note');
    var update = function () {
      var ok = validWebhookURL(url.value);
      switches.forEach(function (s) { s.disabled = !ok; });
      if (note) note.hidden = ok;
    };
    url.addEventListener('input', update);
    update();
  }

  // Send test: post in the background and show the result in the row.
  var testForm = document.getElementById('test-form');
  if (testForm && window.fetch) {
    var csrf = testForm.querySelector('input[name=csrf]').value;
    document.querySelectorAll('button[data-test]').forEach(function (btn) {
      btn.addEventListener('click', function (ev) {
        ev.preventDefault();
        var out = document.getElementById('result-' + btn.value);
        btn.disabled = true;
        out.textContent = 'Sending…';
        var body = new URLSearchParams();
        body.set('csrf', csrf);
        body.set('event', btn.value);
        fetch(testForm.action, {
          method: 'POST', body: body, credentials: 'same-origin',
          headers: { 'X-Requested-With': 'fetch', 'X-CSRF-Token': csrf }
        }).then(function (res) {
          return res.text().then(function (html) {
            if ((res.headers.get('Content-Type') || '').indexOf('text/html') === 0 && html.indexOf('class="result') >= 0) {
              out.innerHTML = html;
            } else {
              out.textContent = 'The test could not be sent (HTTP ' + res.status + '). Reload the page and try again.';
            }
          });
        }).catch(function () {
          out.textContent = 'The test could not be sent: the server did not answer.';
        }).finally(function () { btn.disabled = false; });
      });
    });
  }
  // Copy buttons of the Signing section (hidden without script: the
  // readonly fields can be selected and copied by hand).
  document.querySelectorAll('button[data-copy]').forEach(function (btn) {
    var field = document.getElementById(btn.getAttribute('data-copy'));
    if (!field || !navigator.clipboard) return;
    btn.hidden = false;
    btn.addEventListener('click', function () {
      navigator.clipboard.writeText(field.value).then(function () { btn.textContent = 'Copied'; });
    });
  });
})();
