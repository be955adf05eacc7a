import { html } from '../html.js';
import { CONSOLE, page } from '../layout.js';

/** Sign-in with an admin key. The time zone is filled in by the page's script; without it times show in UTC. */
export function loginPage(message: string | null): string {
  return page({
    title: 'Sign in',
    viewer: null,
    body: html`<section class="panel narrow" aria-labelledby="login-title">
      <h1 id="login-title">Sign in</h1>
      <p>Use an admin key of this deployment (<code>API_KEYS</code>, or the development key printed at start-up).</p>
      ${message ? html`<div class="notice notice-error" role="alert"><p>${message}</p></div>` : ''}
      <form method="post" action="${CONSOLE}/login">
        <div class="field">
          <label for="f-apiKey">API key</label>
          <input type="password" id="f-apiKey" name="apiKey" required autocomplete="current-password" autofocus>
        </div>
        <input type="hidden" name="timeZone" value="UTC" data-time-zone>
        <div class="buttons"><button type="submit" class="primary">Sign in</button></div>
      </form>
    </section>`,
  });
}
