// An OpenID Connect provider on loopback for the single sign-on tests, started by
// tests/oidc/provider.py. Its development sign-in page accepts any login name and password;
// the claims of each login name come from the accounts file, read again on every request, so
// a test can change someone's roles between two sign-ins.
//
// Environment: OIDC_TEST_PORT (where to listen on 127.0.0.1), OIDC_TEST_ISSUER (defaults to
// http://127.0.0.1:<port>), OIDC_TEST_ACCOUNTS (path of a JSON object: login name -> claims),
// OIDC_TEST_CLIENTS (JSON list of client registrations).
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_TEST_PORT);
const issuer = process.env.OIDC_TEST_ISSUER || `http://127.0.0.1:${port}`;
const accountsFile = process.env.OIDC_TEST_ACCOUNTS;
const clients = JSON.parse(process.env.OIDC_TEST_CLIENTS);

function claimsOf(accountId) {
  const accounts = JSON.parse(readFileSync(accountsFile, 'utf8'));
  return { ...(accounts[accountId] || {}), sub: accountId };
}

// A plain page with no outside fonts or scripts, for the sign-out question and for errors.
function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>`
    + `</head><body><main><h1>${title}</h1>${body}</main></body></html>`;
}

const provider = new Provider(issuer, {
  clients,
  cookies: { keys: ['single-sign-on-tests-only'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    roles: ['roles', 'groups', 'organisation'],
  },
  scopes: ['openid', 'email', 'profile', 'roles'],
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => claimsOf(id) }),
  // The tracker is a first-party application: like an organisation's own provider after an
  // administrator's consent, this one never asks people to consent to what it releases.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page('Sign out of the identity provider?', `${form}`
          + '<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>'
          + '<button type="submit" form="op.logoutForm">No, stay signed in</button>');
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page('Signed out of the identity provider', '');
      },
    },
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    const details = Object.entries(out).map(([key, value]) => `<p>${key}: ${String(value).replace(/[<>&"]/g, '')}</p>`);
    ctx.body = page('Identity provider error', details.join(''));
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
