// Progressive enhancement only: every page and form works without this script.

// The sign-in form sends the browser's time zone, so that pages show times where the operator is.
for (const field of document.querySelectorAll('input[data-time-zone]')) {
  field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

// A form is sent once: a second click while the first is on its way is ignored (the idempotency key would make
// the API apply it once anyway, but the operator should not wonder).
for (const form of document.querySelectorAll('form[method="post"]')) {
  form.addEventListener('submit', (event) => {
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = 'true';
    // Disabled after the browser has read the form: a disabled control is not sent.
    setTimeout(() => {
      for (const button of form.querySelectorAll('button[type="submit"]')) {
        button.disabled = true;
        button.setAttribute('aria-busy', 'true');
      }
    });
  });
}

// An opened form takes the keyboard focus; after load, when the browser has scrolled to it (#open-form).
const opened = document.querySelector('#open-form input:not([type="hidden"]), #open-form select, #open-form textarea');
if (opened) window.addEventListener('load', () => opened.focus());
