/**
 * The admin page's script and style sheet, served as files so the page's Content-Security-Policy can
 * forbid inline code. Plain browser JavaScript (no build step).
 *
 * @module
 */

/** @internal */
export const ADMIN_STYLE = `
:root { font-family: system-ui, sans-serif; color: #1b1b1b; background: #f6f7f9; }
body { margin: 0; }
header { display: flex; justify-content: space-between; align-items: center; padding: .75rem 1.5rem; background: #0b3d91; color: #fff; }
header h1 { font-size: 1.2rem; margin: 0; }
main { max-width: 44rem; margin: 1.5rem auto; padding: 0 1rem; }
main.narrow { max-width: 24rem; }
form, section { background: #fff; border: 1px solid #d0d4dc; border-radius: 8px; padding: 1rem 1.25rem; margin-bottom: 1rem; }
label { display: block; margin: .6rem 0 .25rem; }
fieldset label, label:has(input[type=checkbox]) { display: flex; gap: .5rem; align-items: center; }
input, select { font: inherit; padding: .4rem .5rem; border: 1px solid #8a8f98; border-radius: 4px; }
input:not([type=checkbox]):not([type=radio]), select { width: 100%; box-sizing: border-box; }
fieldset { border: 1px solid #d0d4dc; border-radius: 6px; margin: .75rem 0; }
button { font: inherit; padding: .45rem 1rem; border-radius: 4px; border: 1px solid #0b3d91; background: #0b3d91; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #0b3d91; }
header form { background: none; border: 0; padding: 0; margin: 0; }
header button.secondary { border-color: #fff; }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.row { display: flex; gap: .75rem; align-items: end; flex-wrap: wrap; margin-top: .75rem; }
.row label { margin: 0; }
.help { color: #4a4f57; font-size: .9rem; margin: .25rem 0; }
.error { color: #a4000f; }
#order { padding-left: 1.5rem; }
#order li { display: flex; gap: .5rem; align-items: center; padding: .3rem; border: 1px dashed transparent; }
#order li[draggable=true] { cursor: grab; }
#order li span { flex: 1; }
#order button { padding: .15rem .6rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: 600; }
`;

/** @internal */
export const ADMIN_SCRIPT = `'use strict';
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (selector) => document.querySelector(selector);
const form = $('#settings');
let tenant = new URLSearchParams(location.search).get('tenant') || '';

async function api(path, init = {}) {
  const headers = { 'x-csrf-token': csrf };
  if (init.body) headers['content-type'] = 'application/json';
  const response = await fetch('/admin/api' + path, { ...init, headers, credentials: 'same-origin' });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
  return body;
}

function renderOrder(order) {
  const list = $('#order');
  list.replaceChildren();
  for (const module of order) {
    const item = document.createElement('li');
    item.draggable = true;
    item.dataset.module = module;
    const name = document.createElement('span');
    name.textContent = module;
    item.append(name);
    for (const [label, step] of [['Up', -1], ['Down', 1]]) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.textContent = label;
      button.setAttribute('aria-label', 'Move ' + module + ' ' + label.toLowerCase());
      button.addEventListener('click', () => move(module, step, label));
      item.append(button);
    }
    item.addEventListener('dragstart', (event) => event.dataTransfer.setData('text/plain', module));
    item.addEventListener('dragover', (event) => event.preventDefault());
    item.addEventListener('drop', (event) => {
      event.preventDefault();
      const dragged = event.dataTransfer.getData('text/plain');
      const next = currentOrder().filter((m) => m !== dragged);
      next.splice(next.indexOf(module), 0, dragged);
      renderOrder(next);
    });
    list.append(item);
  }
}

const currentOrder = () => [...document.querySelectorAll('#order li')].map((li) => li.dataset.module);

function move(module, step, label) {
  const order = currentOrder();
  const from = order.indexOf(module);
  const to = from + step;
  if (to < 0 || to >= order.length) return;
  order.splice(from, 1);
  order.splice(to, 0, module);
  renderOrder(order);
  const again = document.querySelector('#order li[data-module="' + module + '"] button[aria-label$="' + label.toLowerCase() + '"]');
  if (again) again.focus();
  $('#message').textContent = module + ' is now number ' + (to + 1) + ' in the lookup order.';
}

const setRadio = (name, value) => {
  for (const input of form.elements[name]) input.checked = input.value === value;
};

function fill(settings) {
  const s = settings || {};
  const lookup = s.lookup || {};
  const journal = s.journal || {};
  const create = s.createRecords || {};
  form.elements.enabled.checked = s.enabled !== false;
  form.elements.clientId.value = s.clientId || '';
  form.elements.clientSecret.value = '';
  form.elements.clientSecret.placeholder = s.clientSecretSet ? 'Stored (leave empty to keep)' : '';
  form.elements.clientSecret.required = !s.clientSecretSet;
  form.elements.region.value = s.region || 'US';
  form.elements.edition.value = s.edition || 'Standard';
  renderOrder(lookup.order || ['Contacts', 'Leads', 'Accounts']);
  setRadio('query', lookup.query || 'always');
  form.elements.defaultCountry.value = lookup.defaultCountry || 'US';
  form.elements.journalEnabled.checked = journal.enabled !== false;
  setRadio('recordingLink', journal.recordingLink || 'private');
  setRadio('transcriptionLink', journal.transcriptionLink || 'private');
  form.elements.createEnabled.checked = create.enabled !== false;
  setRadio('createType', create.type || 'Contacts');
}

function showStatus(status, hasSettings) {
  $('#connection').hidden = !hasSettings;
  $('#state').textContent = status.authorized ? 'Authorized: Zoho CRM is connected.' : 'Not authorized: press Authorize.';
  const details = $('#details');
  details.replaceChildren();
  const rows = [['Region', status.region], ['Calls queued', status.pending], ['Calls dead-lettered', status.deadLetters], ['Last error', status.lastError]];
  for (const [term, value] of rows) {
    if (value === undefined || value === null) continue;
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = String(value);
    details.append(dt, dd);
  }
}

// Loads are numbered: only the latest one fills the form, so a slow earlier answer never wipes what the
// user typed since. The form is aria-busy while a load is under way.
let loads = 0;
async function load() {
  const mine = ++loads;
  const current = () => mine === loads;
  form.setAttribute('aria-busy', 'true');
  try {
    const { tenants } = await api('/tenants');
    if (!current()) return;
    $('#tenants').replaceChildren(...tenants.map((id) => Object.assign(document.createElement('option'), { value: id })));
    if (!tenant) return;
    $('#tenant').value = tenant;
    const { settings, status } = await api('/tenants/' + encodeURIComponent(tenant));
    if (!current()) return;
    fill(settings);
    form.hidden = false;
    showStatus(status, Boolean(settings));
  } finally {
    if (current()) form.removeAttribute('aria-busy');
  }
}

$('#pick').addEventListener('submit', (event) => {
  event.preventDefault();
  tenant = $('#tenant').value.trim();
  history.replaceState(null, '', '?tenant=' + encodeURIComponent(tenant));
  load().catch((error) => { $('#message').textContent = error.message; });
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const e = form.elements;
  const radio = (name) => (form.querySelector('input[name="' + name + '"]:checked') || {}).value;
  const body = {
    enabled: e.enabled.checked,
    clientId: e.clientId.value.trim(),
    region: e.region.value,
    edition: e.edition.value,
    lookup: { order: currentOrder(), query: radio('query'), defaultCountry: e.defaultCountry.value.trim().toUpperCase() },
    journal: { enabled: e.journalEnabled.checked, recordingLink: radio('recordingLink'), transcriptionLink: radio('transcriptionLink') },
    createRecords: { enabled: e.createEnabled.checked, type: radio('createType') },
  };
  if (e.clientSecret.value) body.clientSecret = e.clientSecret.value;
  try {
    const { settings, status } = await api('/tenants/' + encodeURIComponent(tenant), { method: 'PUT', body: JSON.stringify(body) });
    fill(settings);
    showStatus(status, true);
    $('#message').textContent = 'Saved.';
  } catch (error) {
    $('#message').textContent = 'Not saved: ' + error.message;
  }
});

$('#authorize').addEventListener('click', async () => {
  try {
    const { url } = await api('/tenants/' + encodeURIComponent(tenant) + '/authorize', { method: 'POST' });
    location.assign(url);
  } catch (error) {
    $('#message').textContent = error.message;
  }
});

$('#retry').addEventListener('click', async () => {
  try {
    const { retried } = await api('/tenants/' + encodeURIComponent(tenant) + '/retry-dead-letters', { method: 'POST' });
    $('#message').textContent = retried + ' call(s) queued again.';
    await load();
  } catch (error) {
    $('#message').textContent = error.message;
  }
});

load().catch((error) => { $('#message').textContent = error.message; });
`;
