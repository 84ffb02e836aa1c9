'use strict'
// Acme Messenger on Express: the conformance corpus partner app, one case at a time.
//
// makeApp(caseName) builds a fresh app as an Express developer would: express-session, cors,
// express.raw + the standardwebhooks Webhook class, jsonwebtoken. A case other than `correct`
// changes one thing, written as the natural bug or variation its `what` in ../cases.toml
// describes; every `caseName === '…'` test below marks the one place a case differs.
// The https server at the bottom hands each request to the current case's app and answers the
// harness's POST /__corpus/case itself (the contract is in ../README.md).

const crypto = require('node:crypto')
const fs = require('node:fs')
const https = require('node:https')
const path = require('node:path')

const cookieParser = require('cookie-parser')
const cors = require('cors')
const express = require('express')
const session = require('express-session')
const jwt = require('jsonwebtoken')
const { Webhook } = require('standardwebhooks')

const HOST = '127.0.0.1'
const CONTROL_PATH = '/__corpus/case'
const ISSUER = 'https://auth.onyx.example'
const HSTS = 'max-age=31536000; includeSubDomains'
const SUBJECT = 'usr_corpus_1' // who any authorization code signs in (the token endpoint stand-in)
const SESSION_COOKIE = 'connect.sid' // express-session's default name
const NEXT_PARAMS = ['next', 'url', 'redirect', 'return_to', 'continue']
const NOTICES = path.join(__dirname, 'notices') // one folder per privacy notice
const SEEN_WEBHOOKS_MAX = 10000 // bound on the idempotency store

// `correct`, then every case of ../cases.toml. The three `restart` cases (certificates, TLS
// floor) differ only in start-up settings, so their app is the correct one.
const CASES = new Set([
  'correct',
  // valid variations
  'login-307', 'login-308', 'login-303', 'login-post-form', 'login-hop', 'uuid-state',
  'static-single-origin', 'xsrf-cookie', 'session-samesite-none', 'privacy-trailing-slash',
  'privacy-german', 'short-lived-cert', 'invalid-token-variants', 'callback-error-redirect',
  'webhook-429-once', 'origin-regex',
  // faults
  'authorize-no-pkce', 'authorize-static-state', 'authorize-weak-state', 'authorize-extra-scope',
  'callback-ignores-state', 'callback-state-optional', 'callback-500-on-error',
  'callback-debug-trace', 'open-redirect-next', 'open-redirect-backslash',
  'open-redirect-meta-refresh', 'cors-reflect-origin', 'cors-actual-reflects',
  'cors-unescaped-regex', 'cors-null-origin', 'cookie-not-secure', 'cookie-not-httponly',
  'cookie-no-samesite', 'session-fixation', 'session-forged-500', 'token-unverified-decode',
  'token-ignores-exp', 'token-accepts-revoked', 'token-in-query', 'webhook-no-verify',
  'webhook-reserialized-body', 'webhook-not-idempotent', 'webhook-500-on-bad-signature',
  'privacy-no-onyx', 'privacy-http-redirect', 'no-hsts', 'tls-legacy-accepted', 'tls-expiring',
  'domain-token-missing',
])

// --- start-up settings ----------------------------------------------------------------------

function required(name) {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

const list = value => (value ?? '').split(',').map(item => item.trim()).filter(Boolean)

function readSettings() {
  const settings = {
    port: Number(required('PORT')),
    tlsCert: required('TLS_CERT'),
    tlsKey: required('TLS_KEY'),
    tlsMinVersion: process.env.TLS_MIN_VERSION || 'TLSv1.2',
    initialCase: process.env.CORPUS_CASE || 'correct',
    controlToken: required('CORPUS_CONTROL_TOKEN'),
    authorizeUrl: required('ONYX_AUTHORIZE_URL'),
    clientId: required('CLIENT_ID'),
    redirectUri: required('REDIRECT_URI'),
    allowedOrigins: list(required('ALLOWED_ORIGINS')),
    jwtKey: required('JWT_KEY'),
    revokedJtis: new Set(list(process.env.REVOKED_JTIS)),
    webhookSecret: required('WEBHOOK_SECRET'),
    verifyToken: required('VERIFY_TOKEN'),
  }
  if (!['TLSv1.2', 'TLSv1'].includes(settings.tlsMinVersion)) {
    throw new Error(`TLS_MIN_VERSION must be TLSv1.2 or TLSv1, not ${settings.tlsMinVersion}`)
  }
  if (!CASES.has(settings.initialCase)) throw new Error(`unknown CORPUS_CASE ${settings.initialCase}`)
  return settings
}

// --- small helpers --------------------------------------------------------------------------

const randomToken = () => crypto.randomBytes(32).toString('base64url') // 256 bits, 43 characters

/** The PKCE S256 code challenge of `verifier`. */
const s256 = verifier => crypto.createHash('sha256').update(verifier).digest('base64url')

/** Constant-time string comparison; anything but two strings is unequal. */
function safeEqual(a, b) {
  if (typeof a !== 'string' || typeof b !== 'string') return false
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && crypto.timingSafeEqual(x, y)
}

/** The first next-style return-to value in `fields` (a query or form), or undefined. */
function returnTo(fields, names = NEXT_PARAMS) {
  for (const name of names) {
    if (typeof fields?.[name] === 'string') return fields[name]
  }
  return undefined
}

/** A same-site path such as /inbox: never //host, /\host, a URL or control characters. */
function isLocalPath(value) {
  return (
    typeof value === 'string' &&
    value.startsWith('/') &&
    !value.startsWith('//') &&
    !value.includes('\\') &&
    !/[\x00-\x1f\x7f]/.test(value)
  )
}

/** The open-redirect-backslash fault's check: browsers read /\evil.example as //evil.example. */
const isLocalPathNaive = value =>
  typeof value === 'string' && value.startsWith('/') && !value.startsWith('//')

const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const escapeHtml = text => String(text).replace(/[&<>"']/g, char => HTML_ESCAPES[char])

const escapeRegExp = text => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function page(title, body, head = '') {
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">${head}` +
    `<title>${escapeHtml(title)}</title></head>\n<body>\n${body}\n</body></html>\n`
  )
}

// --- the app --------------------------------------------------------------------------------

/** A fresh Acme Messenger app serving `caseName` (see cases.toml), with its own state. */
function makeApp(caseName, settings) {
  if (!CASES.has(caseName)) throw new Error(`unknown case ${caseName}`)
  const app = express()
  // Deployed Express apps run with NODE_ENV=production, where the default error handler answers
  // a plain status page. callback-debug-trace is the app left in development: the same handler
  // then sends err.stack to the browser.
  app.set('env', caseName === 'callback-debug-trace' ? 'development' : 'production')

  if (caseName !== 'no-hsts') {
    app.use((req, res, next) => {
      res.set('Strict-Transport-Security', HSTS) // first in line, so on every answer
      next()
    })
  }
  app.use(sessions(caseName))

  app.get('/', (req, res) => {
    const failed = req.query.signin === 'failed' ? '<p>Sign-in did not complete.</p>\n' : ''
    res.send(
      page(
        'Acme Messenger',
        `<h1>Acme Messenger</h1>\n${failed}` +
          '<p><a href="/login/onyx">Sign in with Onyx</a> · <a href="/privacy">Privacy</a></p>',
      ),
    )
  })

  signInStart(app, caseName, settings)
  signInCallback(app, caseName)
  api(app, caseName, settings)
  webhooks(app, caseName, settings)
  privacy(app, caseName)

  if (caseName !== 'domain-token-missing') {
    app.get('/.well-known/onyx-domain-verification.txt', (req, res) => {
      res.type('text/plain').send(settings.verifyToken)
    })
  }
  // No error handler of our own: failures reach Express's default one (see app.set('env')).
  return app
}

// --- sessions ---------------------------------------------------------------------------------

/** The session of the sign-in flow (state, PKCE verifier, next, CSRF token, user). */
function sessions(caseName) {
  if (caseName === 'session-fixation') return adoptingSession()
  const cookie = { secure: true, httpOnly: true, sameSite: 'lax' }
  if (caseName === 'session-samesite-none') cookie.sameSite = 'none' // the app is embedded cross-site
  if (caseName === 'cookie-not-secure') delete cookie.secure // express-session's default: secure false
  if (caseName === 'cookie-not-httponly') cookie.httpOnly = false // "the front end reads it"
  if (caseName === 'cookie-no-samesite') delete cookie.sameSite // express-session's default: none sent
  return session({
    secret: randomToken(),
    store: new session.MemoryStore(), // a new store per app: no state carries over between cases
    resave: false,
    saveUninitialized: false, // no cookie until the sign-in start puts something in the session
    cookie,
  })
}

/**
 * session-fixation: a hand-rolled server-side session in place of express-session. The cookie
 * holds the session id, a Map holds the data, and the routes use it as they use express-session
 * (req.session, save, regenerate). Its bug: an id it never issued is not replaced but adopted,
 * so an id an attacker plants in a victim's browser is the one the sign-in start keeps using.
 */
function adoptingSession() {
  const sessions = new Map() // session id → data
  const cookie = { secure: true, httpOnly: true, sameSite: 'lax' }
  const parseCookies = cookieParser()
  return (req, res, next) =>
    parseCookies(req, res, () => {
      const use = id => {
        // The correct store would issue a fresh id unless sessions.has(id) already.
        if (!sessions.has(id)) sessions.set(id, {})
        req.session = sessions.get(id)
        Object.defineProperties(req.session, {
          save: {
            configurable: true,
            value: done => {
              res.cookie('sid', id, cookie)
              done()
            },
          },
          regenerate: {
            configurable: true,
            value: done => {
              sessions.delete(id)
              use(randomToken())
              done()
            },
          },
        })
      }
      use(req.cookies.sid || randomToken())
      next()
    })
}

// --- starting sign-in -------------------------------------------------------------------------

function signInStart(app, caseName, settings) {
  const staticState = randomToken() // authorize-static-state: "configured once"

  function newState() {
    if (caseName === 'uuid-state') return crypto.randomUUID()
    if (caseName === 'authorize-static-state') return staticState
    if (caseName === 'authorize-weak-state') return crypto.randomBytes(4).toString('hex') // 32 bits
    return randomToken()
  }

  /** `value` if it is a path on this site; anything else is ignored, never echoed. */
  function localNext(value) {
    const check = caseName === 'open-redirect-backslash' ? isLocalPathNaive : isLocalPath
    return check(value) ? value : undefined
  }

  /** Keep state, PKCE verifier and next in the session; send the browser to Onyx. */
  function start(req, res, next, status, returnPath) {
    const state = newState()
    const url = new URL(settings.authorizeUrl)
    url.searchParams.set('response_type', 'code')
    url.searchParams.set('client_id', settings.clientId)
    url.searchParams.set('redirect_uri', settings.redirectUri)
    url.searchParams.set(
      'scope',
      caseName === 'authorize-extra-scope' ? 'openid profile contacts:read' : 'openid profile',
    )
    url.searchParams.set('state', state)
    let verifier
    if (caseName !== 'authorize-no-pkce') {
      verifier = randomToken()
      url.searchParams.set('code_challenge', s256(verifier))
      url.searchParams.set('code_challenge_method', 'S256')
    }
    req.session.signIn = { state, verifier, returnPath }
    if (caseName === 'xsrf-cookie') {
      // Read by the front end's scripts (Angular's convention), so not HttpOnly.
      res.cookie('XSRF-TOKEN', randomToken(), { secure: true, sameSite: 'lax', path: '/' })
    }
    // Saved before the redirect, so the callback never races the session store.
    req.session.save(err => (err ? next(err) : res.redirect(status, url.href)))
  }

  // res.redirect's default is 302; these variations name another status.
  const loginStatus = { 'login-307': 307, 'login-308': 308, 'login-303': 303 }[caseName] ?? 302

  if (caseName === 'login-post-form') {
    // Sign-in starts by POST only: GET shows a button in a form carrying a CSRF token kept in
    // the session (csurf's field name, _csrf).
    app.get('/login/onyx', (req, res) => {
      req.session.csrfToken ??= randomToken()
      const target = localNext(returnTo(req.query))
      const hiddenNext = target
        ? `<input type="hidden" name="next" value="${escapeHtml(target)}">\n`
        : ''
      res.send(
        page(
          'Sign in',
          '<h1>Sign in to Acme Messenger</h1>\n<form method="post" action="/login/onyx">\n' +
            `<input type="hidden" name="_csrf" value="${escapeHtml(req.session.csrfToken)}">\n` +
            `${hiddenNext}<button type="submit">Sign in with Onyx</button>\n</form>`,
        ),
      )
    })
    app.post('/login/onyx', express.urlencoded({ extended: false }), (req, res, next) => {
      if (!safeEqual(req.body?._csrf, req.session.csrfToken)) {
        return res.status(403).send(page('Forbidden', '<p>The form has expired. Please try again.</p>'))
      }
      start(req, res, next, 303, localNext(returnTo(req.body)))
    })
  } else if (caseName === 'login-hop') {
    // A generic /auth/:provider/start route does the work; /login/onyx only points there.
    app.get('/login/onyx', (req, res) => {
      const query = new URLSearchParams({ provider: 'onyx' })
      const target = localNext(returnTo(req.query))
      if (target) query.set('next', target)
      res.redirect(`/auth/onyx/start?${query}`)
    })
    app.get('/auth/onyx/start', (req, res, next) => {
      if (req.query.provider !== 'onyx') return next() // Express's 404
      start(req, res, next, 302, localNext(returnTo(req.query)))
    })
  } else {
    app.get('/login/onyx', (req, res, next) => {
      start(req, res, next, loginStatus, localNext(returnTo(req.query)))
    })
  }
}

// --- the callback -----------------------------------------------------------------------------

/** Thrown by callback-debug-trace's callback; 400 for Express's default error handler. */
class SignInError extends Error {
  constructor(message) {
    super(message)
    this.name = 'SignInError'
    this.status = 400
  }
}

/** A local stand-in for Onyx's token endpoint: any non-empty code is usr_corpus_1. */
function exchangeCode(code, verifier) {
  return { sub: SUBJECT }
}

function signInCallback(app, caseName) {
  app.get('/onyx/callback', (req, res, next) => {
    // callback-500-on-error reads the code first, as if every callback carried one: a decline
    // (error=…) has none, so .trim() throws a TypeError and Express answers its plain 500.
    const code = caseName === 'callback-500-on-error' ? req.query.code.trim() : req.query.code
    const { error, state } = req.query
    const pending = req.session.signIn ?? {}
    delete req.session.signIn // a state is good for one try

    /** The user declined (or Onyx had an error): a calm page, no sign-in. */
    function declined() {
      if (caseName === 'callback-error-redirect') return res.redirect('/?signin=failed')
      if (caseName === 'callback-debug-trace') throw new SignInError(`Onyx sign-in failed: ${error}`)
      if (caseName === 'open-redirect-next') {
        const target = returnTo(req.query)
        if (target) return res.redirect(target) // unchecked
      }
      if (caseName === 'open-redirect-backslash') {
        // This app honours a local next on the error path too, checked naively.
        const query = returnTo(req.query)
        const target = isLocalPathNaive(query) ? query : pending.returnPath
        if (target) return res.redirect(target)
      }
      let head = ''
      const target = returnTo(req.query, ['next', 'return_to'])
      if (caseName === 'open-redirect-meta-refresh' && target) {
        // The decline page "takes you back" where the next/return_to parameter says (escaped
        // for HTML, so still anywhere).
        head = `<meta http-equiv="refresh" content="0;url=${escapeHtml(target)}">`
      }
      res.send(
        page(
          'Sign-in cancelled',
          '<h1>Sign-in cancelled</h1>\n<p>You declined to sign in with Onyx. Nothing was shared.</p>\n' +
            '<p><a href="/">Back to Acme Messenger</a></p>',
          head,
        ),
      )
    }

    /** A callback this browser's sign-in did not start (or a broken one): 400, no sign-in. */
    function rejected(reason) {
      if (caseName === 'callback-error-redirect') return res.redirect('/?signin=failed')
      if (caseName === 'callback-debug-trace') throw new SignInError(reason)
      res
        .status(400)
        .send(page('Sign-in failed', '<h1>Sign-in failed</h1>\n<p>Please start the sign-in again.</p>'))
    }

    function stateAccepted() {
      if (caseName === 'callback-ignores-state') return true // never compared
      if (caseName === 'callback-state-optional' && state === undefined) return true // "nothing to compare"
      return safeEqual(state, pending.state)
    }

    if (error) return declined()
    if (typeof code !== 'string' || code === '') return rejected('the callback carries no code')
    if (!stateAccepted()) return rejected('state does not match the session')
    const user = exchangeCode(code, pending.verifier)
    // A new session id for the signed-in user (express-session's documented login pattern).
    req.session.regenerate(err => {
      if (err) return next(err)
      req.session.user = user
      req.session.save(err => (err ? next(err) : res.redirect(pending.returnPath ?? '/')))
    })
  })
}

// --- the API ----------------------------------------------------------------------------------

/** CORS for the browser front ends at ALLOWED_ORIGINS (the API is called with credentials). */
function apiCors(caseName, origins) {
  const options = {
    origin: origins,
    credentials: true,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type'],
  }
  switch (caseName) {
    case 'static-single-origin':
      return staticCors(origins[0])
    case 'origin-regex':
      return cors({ ...options, origin: new RegExp(`^(?:${origins.map(escapeRegExp).join('|')})$`) })
    case 'cors-reflect-origin':
      return cors({ ...options, origin: true }) // "any front end may call us"
    case 'cors-actual-reflects':
      return [cors(options), reflectOriginHook]
    case 'cors-unescaped-regex':
      return cors({ ...options, origin: new RegExp(`^(?:${origins.join('|')})$`) }) // dots unescaped
    case 'cors-null-origin':
      return cors({ ...options, origin: [...origins, 'null'] }) // left over from testing a file:// page
    default:
      return cors(options)
  }
}

/**
 * static-single-origin: one front end, so every answer carries the same fixed headers (the
 * cors package would add Vary: Origin even for a fixed origin; this app's answer never varies).
 */
function staticCors(origin) {
  return (req, res, next) => {
    res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true' })
    if (req.method !== 'OPTIONS') return next()
    res.set({
      'Access-Control-Allow-Methods': 'GET, POST',
      'Access-Control-Allow-Headers': 'authorization, content-type',
      'Access-Control-Max-Age': '600',
    })
    res.sendStatus(204)
  }
}

/**
 * cors-actual-reflects: a hand-written hook "fixing" CORS on the API's answers. cors() has
 * already answered preflights, so only actual requests reach it, and it copies whatever Origin
 * they carry.
 */
function reflectOriginHook(req, res, next) {
  const origin = req.get('origin')
  if (origin) res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true' })
  next()
}

function api(app, caseName, settings) {
  /** The token's claims if Onyx issued it, for us, unexpired and not revoked; else null. */
  function verifyToken(token) {
    let claims
    try {
      if (caseName === 'token-unverified-decode') {
        // Decoded, never verified; expiry still checked by hand.
        claims = jwt.decode(token)
        if (typeof claims?.exp !== 'number' || claims.exp <= Date.now() / 1000) return null
      } else {
        claims = jwt.verify(token, settings.jwtKey, {
          algorithms: ['HS256'],
          audience: settings.clientId,
          issuer: ISSUER,
          ignoreExpiration: caseName === 'token-ignores-exp',
        })
      }
    } catch {
      return null // malformed, forged, expired, another audience or issuer
    }
    if (caseName !== 'token-accepts-revoked' && settings.revokedJtis.has(claims.jti)) return null
    return claims
  }

  function invalidToken(res) {
    if (caseName === 'invalid-token-variants') {
      const description = 'The access token is invalid or expired'
      return res
        .status(401)
        .set(
          'WWW-Authenticate',
          `Bearer realm="acme", error="invalid_token", error_description="${description}"`,
        )
        .type('application/problem+json')
        .send(JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: description }))
    }
    res.status(401).set('WWW-Authenticate', 'Bearer error="invalid_token"').json({ error: 'invalid_token' })
  }

  /** The Authorization header's bearer token, or undefined when there is none. */
  function bearerToken(req) {
    const match = /^Bearer(?:\s+(.*))?$/i.exec(req.get('authorization') ?? '')
    if (match) return (match[1] ?? '').trim()
    if (caseName === 'token-in-query' && typeof req.query.access_token === 'string') {
      return req.query.access_token // "for links from e-mails"
    }
    return undefined
  }

  const middleware = [apiCors(caseName, settings.allowedOrigins)]
  if (caseName === 'session-forged-500') middleware.push(cookieParser())

  app
    .route('/api/v1/me')
    .all(middleware) // cors() answers the preflights itself
    .get((req, res) => {
      const token = bearerToken(req)
      if (token !== undefined) {
        const claims = verifyToken(token)
        return claims ? res.json({ sub: claims.sub }) : invalidToken(res)
      }
      if (caseName === 'session-forged-500' && req.cookies[SESSION_COOKIE]) {
        // A session cookie is taken to mean a signed-in user. A forged one gets a fresh, empty
        // session from express-session, so .user is undefined and .sub throws: a 500.
        return res.json({ sub: req.session.user.sub })
      }
      if (req.session.user) return res.json({ sub: req.session.user.sub })
      res.status(401).set('WWW-Authenticate', 'Bearer realm="acme"').json({ error: 'unauthorized' })
    })
}

// --- webhooks -------------------------------------------------------------------------------

const WEBHOOK_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature']

function webhooks(app, caseName, settings) {
  const webhook = new Webhook(settings.webhookSecret)
  const seen = new Set() // webhook-ids processed: a retry is acknowledged, not processed again
  let deliveries = 0

  // How the delivery is read and checked: the raw bytes, verified by the library (5 minutes'
  // tolerance). It throws WebhookVerificationError, or a TypeError/SyntaxError for a missing
  // body or a body that is not JSON.
  let parseBody = express.raw({ type: 'application/json' })
  let verify = req => webhook.verify(req.body, req.headers)
  const parsesJson = caseName === 'webhook-no-verify' || caseName === 'webhook-reserialized-body'
  if (caseName === 'webhook-no-verify') {
    parseBody = express.json()
    verify = req => {
      if (!WEBHOOK_HEADERS.every(name => req.get(name))) throw new Error('Missing required headers')
      return req.body // "we'll add the signature check later"
    }
  }
  if (caseName === 'webhook-reserialized-body') {
    parseBody = express.json()
    verify = req => webhook.verify(JSON.stringify(req.body), req.headers) // not the bytes signed
  }

  app.post('/onyx/events', parseBody, (req, res) => {
    deliveries += 1
    if (caseName === 'webhook-429-once' && deliveries === 1) {
      // A rate limiter in front of the receiver; Standard Webhooks senders retry.
      return res.status(429).set('Retry-After', '1').json({ error: 'too many requests' })
    }
    let event
    if (caseName === 'webhook-500-on-bad-signature') {
      event = verify(req) // nothing catches the library's error: Express answers 500
    } else {
      try {
        event = verify(req)
      } catch {
        return res.status(400).json({ error: 'invalid webhook' })
      }
    }
    const id = req.get('webhook-id')
    if (seen.has(id)) {
      if (caseName === 'webhook-not-idempotent') {
        return res.status(409).json({ error: 'duplicate webhook-id' })
      }
      return res.sendStatus(204) // done before: acknowledged, not processed again
    }
    seen.add(id)
    if (seen.size > SEEN_WEBHOOKS_MAX) seen.delete(seen.values().next().value)
    handleEvent(event)
    res.sendStatus(204)
  })

  if (parsesJson) {
    // express.json's parse error carries a piece of the body; answer it here as a bad delivery
    // (400) so that the default error handler never writes it to the log.
    app.use('/onyx/events', (err, req, res, next) => {
      if (err.type !== 'entity.parse.failed') return next(err)
      res.status(400).json({ error: 'invalid webhook' })
    })
  }
}

/** Where a real app would act on message.delivered and the like. */
function handleEvent(event) {}

// --- the privacy notice ------------------------------------------------------------------------

function privacy(app, caseName) {
  if (caseName === 'privacy-trailing-slash') {
    // The notice is a static folder, notices/en/privacy/index.html; express.static redirects
    // /privacy to /privacy/ (301) and serves the index there.
    app.use(express.static(path.join(NOTICES, 'en')))
    return
  }
  if (caseName === 'privacy-http-redirect') {
    // A "canonical URL" redirect written with a hard-coded http:// scheme.
    app.get('/privacy', (req, res) => res.redirect(301, `http://${req.get('host')}/privacy`))
    return
  }
  const notice = { 'privacy-german': 'de', 'privacy-no-onyx': 'no-onyx' }[caseName] ?? 'en'
  app.get('/privacy', (req, res, next) => {
    res.sendFile('privacy/index.html', { root: path.join(NOTICES, notice) }, err => err && next(err))
  })
}

// --- the server -------------------------------------------------------------------------------

function main() {
  let settings
  try {
    settings = readSettings()
  } catch (err) {
    console.error(`express corpus app: ${err.message}`)
    process.exit(2)
  }
  let current = makeApp(settings.initialCase, settings)

  /** POST /__corpus/case: the harness switches the case (a fresh app) by name. */
  function control(req, res) {
    const chunks = []
    let size = 0
    req.on('data', chunk => {
      size += chunk.length
      if (size <= 1024) chunks.push(chunk)
    })
    req.on('end', () => {
      const answer = (status, text = '') =>
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text)
      if (req.method !== 'POST') return answer(405, 'Method Not Allowed')
      if (!safeEqual(req.headers['x-corpus-control'], settings.controlToken)) return answer(403, 'Forbidden')
      const name = Buffer.concat(chunks).toString('utf8').trim()
      if (!CASES.has(name)) return answer(404, 'unknown case')
      current = makeApp(name, settings)
      res.writeHead(204).end()
    })
  }

  const tls = {
    key: fs.readFileSync(settings.tlsKey),
    cert: fs.readFileSync(settings.tlsCert),
    minVersion: 'TLSv1.2',
  }
  if (settings.tlsMinVersion === 'TLSv1') {
    // tls-legacy-accepted: TLS 1.0/1.1 need SHA-1 and the old suites, which OpenSSL 3 only
    // allows at security level 0.
    Object.assign(tls, { minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' })
  }
  const server = https.createServer(tls, (req, res) => {
    if (req.url.split('?')[0] === CONTROL_PATH) return control(req, res)
    current(req, res)
  })

  const stop = () => {
    server.close(() => process.exit(0))
    server.closeAllConnections() // kept-alive connections would hold close() open
    setTimeout(() => process.exit(0), 2000).unref()
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)

  server.listen(settings.port, HOST, () => {
    console.log(`listening on https://${HOST}:${settings.port} (case ${settings.initialCase})`)
  })
}

if (require.main === module) main()

module.exports = { makeApp, CASES }
