// The console's shell: sign-in, the header with the operator and role,
// sign-out, the navigation, and the screen of the URL's fragment (#/review,
// #/orders, ...). Each screen is a module with render(root, context).
import { ApiError, del, get, post, setCsrfToken } from './api.js';
import { timeZone } from './format.js';
import * as merchants from './merchants.js';
import * as metrics from './metrics.js';
import * as orders from './orders.js';
import * as reconciliation from './reconciliation.js';
import * as review from './review.js';

const screens = {
  review: { title: 'Review queue', module: review },
  orders: { title: 'Orders', module: orders },
  reconciliation: { title: 'Reconciliation', module: reconciliation },
  merchants: { title: 'Merchants', module: merchants },
  metrics: { title: 'Metrics', module: metrics },
};

const $ = (id) => document.getElementById(id);
let session = null;

function showSignIn(message = '') {
  session = null;
  setCsrfToken('');
  $('who').hidden = true;
  $('nav').hidden = true;
  $('screen').replaceChildren();
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  document.title = 'Sign in · oncepay console';
  $('token').focus();
}

function showSession(who) {
  session = who;
  setCsrfToken(who.csrf_token);
  $('who-name').textContent = who.operator;
  $('who-role').textContent = who.role;
  $('who').hidden = false;
  $('nav').hidden = false;
  $('sign-in').hidden = true;
  $('sign-in-error').textContent = '';
  route();
}

function route() {
  if (!session) return;
  const name = (location.hash.match(/^#\/([a-z]+)/) || [])[1];
  const screen = screens[name] ? name : 'review';
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.screen === screen) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const root = $('screen');
  root.replaceChildren();
  document.title = `${screens[screen].title} · oncepay console`;
  // A 401 answers a request of this session only while it is the current
  // one: after a sign-out (or a new sign-in) a late answer to a request the
  // old screen made must not replace what the sign-in page says.
  const context = {
    session,
    onSignedOut: () => {
      if (session === context.session) showSignIn('Your session has ended; sign in again.');
    },
  };
  screens[screen].module.render(root, context).catch((error) => {
    if (error instanceof ApiError && error.status === 401) return context.onSignedOut();
    const p = document.createElement('p');
    p.className = 'error';
    p.setAttribute('role', 'alert');
    p.textContent = `Could not load ${screens[screen].title}: ${error.message}`;
    root.append(p);
  });
}

async function signIn(event) {
  event.preventDefault();
  const field = $('token');
  try {
    const who = await post('/admin/session', { token: field.value });
    field.value = '';
    showSession(who);
    $('main').focus();
  } catch (error) {
    field.value = '';
    if (error.status === 429) showSignIn('Too many failed sign-ins; wait a minute.');
    else showSignIn('That token was not accepted.');
  }
}

async function signOut() {
  try {
    await del('/admin/session');
  } catch (error) {
    // The session may have expired already: signed out either way.
  }
  showSignIn('Signed out.');
}

async function start() {
  $('time-zone').textContent = `Times are shown in ${timeZone()}.`;
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  try {
    const who = await get('/admin/session');
    if (!who.csrf_token) return showSignIn();
    showSession(who);
  } catch {
    showSignIn();
  }
}

start();
