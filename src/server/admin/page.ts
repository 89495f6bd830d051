/**
 * The admin page's HTML: the login form and the application shell (the form itself is filled in by
 * app.js). Plain HTML, no build step, no CDN; every dynamic value is escaped.
 *
 * @module
 */

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const head = (title: string, extra = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="stylesheet" href="/admin/app.css">${extra}</head>`;

const radios = (name: string, legend: string, options: Array<[string, string]>) => `
<fieldset><legend>${legend}</legend>${options
  .map(
    ([value, label]) =>
      `<label><input type="radio" name="${name}" value="${value}"> ${escapeHtml(label)}</label>`,
  )
  .join('')}</fieldset>`;

const select = (id: string, label: string, values: string[]) => `
<label for="${id}">${label}</label><select id="${id}" name="${id}">${values
  .map((value) => `<option value="${value}">${value}</option>`)
  .join('')}</select>`;

/** @internal */
export function loginPage(problem?: string, tenant?: string): string {
  return `${head('Log in: Zoho CRM integration')}<body><main class="narrow">
<h1>Zoho CRM integration</h1>
<form method="post" action="/admin/login">
${problem ? `<p class="error" role="alert">${escapeHtml(problem)}</p>` : ''}
<label for="password">Admin password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
${tenant ? `<input type="hidden" name="tenant" value="${escapeHtml(tenant)}">` : ''}
<button type="submit">Log in</button>
</form></main></body></html>`;
}

/** @internal */
export function appPage(csrfToken: string): string {
  return `${head(
    'Integrations › CRM: Zoho',
    `<meta name="csrf-token" content="${escapeHtml(csrfToken)}"><script src="/admin/app.js" defer></script>`,
  )}<body>
<header><h1>Integrations › CRM › Zoho</h1>
<form method="post" action="/admin/logout"><button type="submit" class="secondary">Log out</button></form></header>
<main>
<form id="pick" class="row">
<label for="tenant">Tenant</label><input id="tenant" name="tenant" list="tenants" required autocomplete="off">
<datalist id="tenants"></datalist><button type="submit">Open</button>
</form>
<section id="connection" aria-labelledby="connection-title" hidden>
<h2 id="connection-title">Connection</h2>
<p id="state" role="status" aria-live="polite"></p>
<dl id="details"></dl>
<div class="row"><button type="button" id="authorize">Authorize</button>
<button type="button" id="retry" class="secondary">Retry dead-lettered calls</button></div>
</section>
<form id="settings" hidden>
<h2>Settings</h2>
<label><input type="checkbox" name="enabled"> CRM enabled for this tenant</label>
<label for="clientId">Client ID</label><input id="clientId" name="clientId" required autocomplete="off">
<label for="clientSecret">Client Secret</label>
<input id="clientSecret" name="clientSecret" type="password" autocomplete="new-password" aria-describedby="secret-help">
<p id="secret-help" class="help">Write-only: it is never shown again. Leave empty to keep the stored one.</p>
${select('region', 'Zoho Region', ['US', 'EU', 'IN', 'AU', 'CN', 'JP', 'CA', 'SA', 'UK'])}
${select('edition', 'Zoho CRM edition', ['Free', 'Standard', 'Professional', 'Enterprise', 'Ultimate'])}
<fieldset><legend>Contact Lookup Order</legend>
<p class="help" id="order-help">Drag a module, or use its Up and Down buttons.</p>
<ol id="order" aria-describedby="order-help"></ol></fieldset>
${radios('query', 'Query CRM', [
  ['always', 'Always query'],
  ['whenNotFoundInPbx', 'Only when not found in PBX contacts'],
])}
<label for="defaultCountry">Default country (ISO code)</label>
<input id="defaultCountry" name="defaultCountry" maxlength="2" autocomplete="off">
<label><input type="checkbox" name="journalEnabled"> Log Calls as Activities</label>
${radios('recordingLink', 'Recording link', [
  ['private', 'Private Recording Link'],
  ['public', 'Public Recording Link'],
  ['none', 'No link'],
])}
${radios('transcriptionLink', 'Transcription link', [
  ['private', 'Private'],
  ['public', 'Public'],
  ['none', 'No link'],
])}
<label><input type="checkbox" name="createEnabled"> Create Contacts for New Numbers</label>
${radios('createType', 'Record type', [
  ['Contacts', 'Contact'],
  ['Leads', 'Lead'],
])}
<div class="row"><button type="submit">Save</button></div>
<p id="message" role="status" aria-live="polite"></p>
</form>
</main></body></html>`;
}
