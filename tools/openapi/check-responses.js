#!/usr/bin/env node
// Checks HTTP exchanges logged by the black-box tests against docs/openapi.yaml.
//
//   node check-responses.js SPEC LOG
//
// LOG holds one JSON object a line, {"server", "method", "path", "status",
// "content_type", "headers", "body"}, appended by tests/blackbox/daemon_process.hpp when
// ONCEPAY_RESPONSE_LOG names it. Only exchanges with oncepayd are checked
// (server == "oncepayd"); the channel simulator is another server.
//
// Each exchange must match a path template and method of the spec, answer a
// status that operation documents, with a documented content type, and a
// JSON body valid against the response schema (JSON Schema 2020-12, as
// OpenAPI 3.1 defines it), and the headers the spec names for it (Allow,
// Retry-After): present when required, valid when present, and absent when
// the response does not document them. A path no template matches must
// answer an error (404 not_found, or what comes before routing: 401 without
// credentials, 503 while not ready, transport errors); a documented path
// with an undocumented method likewise, 405 with Allow. An empty or
// missing log fails: it would prove nothing. Exit status 0 when every
// exchange conforms, 1 otherwise, with one report per mismatch. It also lists
// the documented responses that no test received: information, not failure.
'use strict';

const fs = require('fs');
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const kSpecId = 'oncepay-openapi';
const kMethods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const kMaxReports = 50;
// Statuses that any request can get before it reaches its operation: the
// credentials are checked and the readiness gate passed before routing, and
// the transport can refuse a request (docs/openapi.yaml info.description).
const kBeforeRouting = [400, 401, 413, 431, 503];
// Response headers whose presence the spec decides: one that a response does
// not document must not be sent with it.
const kGovernedHeaders = ['allow', 'retry-after'];

function usage() {
  console.error('usage: check-responses.js SPEC LOG');
  process.exit(2);
}

function pointer(...tokens) {
  return '#/' + tokens.map((t) => String(t).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

function loadSpec(file) {
  const spec = YAML.parse(fs.readFileSync(file, 'utf8'));
  if (!spec || !String(spec.openapi || '').startsWith('3.1')) {
    throw new Error(`${file}: not an OpenAPI 3.1 document`);
  }
  return spec;
}

// Templates as regular expressions, literal segments before parameters so
// that /admin/review is never taken for a parameter value.
function compileTemplates(spec) {
  const templates = Object.keys(spec.paths || {}).map((template) => {
    const segments = template.split('/').filter((s) => s.length > 0);
    const source = segments
      .map((s) => (/^\{[^}]+\}$/.test(s) ? '([^/]+)' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const literals = segments.filter((s) => !s.startsWith('{')).length;
    return { template, regex: new RegExp(`^/${source}/?$`), literals };
  });
  templates.sort((a, b) => b.literals - a.literals);
  return templates;
}

// Follows local $refs from the node at `ref`; returns the node reached and
// its own pointer, so that schemas under it can be named for Ajv.
function resolve(spec, ref) {
  for (let seen = 0; seen < 16; ++seen) {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    const node = ref
      .slice(2)
      .split('/')
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((at, token) => (at === undefined ? undefined : at[token]), spec);
    if (node === undefined) throw new Error(`${ref} is not in the spec`);
    if (!node.$ref) return { node, ref };
    ref = node.$ref;
  }
  throw new Error(`$ref loop at ${ref}`);
}

function mediaTypeOf(contentType) {
  return String(contentType || '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}

class Checker {
  constructor(spec) {
    this.spec = spec;
    this.templates = compileTemplates(spec);
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    // OpenAPI's numeric formats: JSON numbers that are integers in range.
    const int = (bits) => ({ type: 'number', validate: (n) => Number.isInteger(n) && Math.abs(n) <= 2 ** (bits - 1) });
    this.ajv.addFormat('int32', int(32));
    this.ajv.addFormat('int64', int(64));
    this.ajv.addSchema(spec, kSpecId);
    this.validators = new Map();
  }

  validator(ref) {
    if (!this.validators.has(ref)) {
      this.validators.set(ref, this.ajv.getSchema(kSpecId + ref));
    }
    return this.validators.get(ref);
  }

  // Returns a list of problems (empty when the exchange conforms).
  check(exchange) {
    const url = String(exchange.path || '');
    const path = url.split('?')[0];
    const method = String(exchange.method || '').toLowerCase();
    const match = this.templates.find((t) => t.regex.test(path));
    if (!match) {
      return this.checkError(exchange, [404], 'no path template matches', pointer('components', 'responses', 'NotFound'));
    }
    const item = this.spec.paths[match.template];
    if (!kMethods.includes(method) || !item[method]) {
      return this.checkError(
        exchange,
        [405],
        `${match.template} documents no ${method.toUpperCase()}`,
        pointer('components', 'responses', 'MethodNotAllowed'),
      );
    }
    const responses = item[method].responses || {};
    const status = String(exchange.status);
    if (!responses[status]) {
      return [
        `${match.template} ${method.toUpperCase()} documents no status ${status} ` +
          `(documented: ${Object.keys(responses).join(', ')})`,
      ];
    }
    return this.checkBody(exchange, pointer('paths', match.template, method, 'responses', status));
  }

  // An answer given before any operation was chosen: `responseRef` for the
  // expected status, the error shape (with any Retry-After) for the others.
  checkError(exchange, statuses, why, responseRef) {
    if (statuses.includes(exchange.status)) return this.checkBody(exchange, responseRef);
    if (kBeforeRouting.includes(exchange.status)) {
      return this.checkBody(exchange, pointer('components', 'responses', 'Unavailable'));
    }
    const allowed = statuses.concat(kBeforeRouting);
    return [`${why}, and the status is ${exchange.status}, not ${allowed.join(', ')}`];
  }

  checkHeaders(exchange, response, responseAt) {
    const got = exchange.headers || {};
    const documented = response.headers || {};
    const problems = [];
    const names = new Map(Object.keys(documented).map((n) => [n.toLowerCase(), n]));
    for (const [lower, name] of names) {
      const { node: header, ref: headerAt } = resolve(this.spec, `${responseAt}/headers/${name}`);
      if (!(lower in got)) {
        if (header.required) problems.push(`header ${name} is required and missing`);
        continue;
      }
      let value = got[lower];
      if (header.schema && ['integer', 'number'].includes(header.schema.type)) {
        value = /^-?[0-9]+(\.[0-9]+)?$/.test(value) ? Number(value) : value;
      }
      const validate = this.validator(`${headerAt}/schema`);
      if (validate && !validate(value)) {
        problems.push(`header ${name}: "${got[lower]}" ${this.ajv.errorsText(validate.errors)}`);
      }
    }
    for (const lower of kGovernedHeaders) {
      if (lower in got && !names.has(lower)) {
        problems.push(`header ${lower} is sent but not documented for this response`);
      }
    }
    return problems;
  }

  checkBody(exchange, responseRef) {
    const { node: response, ref: responseAt } = resolve(this.spec, responseRef);
    const problems = this.checkHeaders(exchange, response, responseAt);
    return problems.concat(this.checkContent(exchange, response, responseAt));
  }

  checkContent(exchange, response, responseAt) {
    const content = response.content || {};
    const mediaType = mediaTypeOf(exchange.content_type);
    if (Object.keys(content).length === 0) {
      return exchange.body ? [`${responseAt} documents no body, got ${mediaType}`] : [];
    }
    if (!content[mediaType]) {
      return [`content type "${exchange.content_type}" is not documented (${Object.keys(content).join(', ')})`];
    }
    if (!content[mediaType].schema) return [];
    const schemaRef = `${responseAt}/content/${mediaType.replace(/\//g, '~1')}/schema`;
    let body = exchange.body;
    if (mediaType === 'application/json') {
      try {
        body = JSON.parse(exchange.body);
      } catch (e) {
        return [`body is not JSON (${e.message})`];
      }
    }
    const validate = this.validator(schemaRef);
    if (!validate) return [`cannot compile the schema at ${schemaRef}`];
    if (validate(body)) return [];
    return validate.errors.map(
      (e) => `body${e.instancePath || ''} ${e.message}` + (e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '') + ` (schema ${e.schemaPath})`,
    );
  }
}

function readLog(file) {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: did the black-box tests run with ONCEPAY_RESPONSE_LOG?`);
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line, i) => ({ line, number: i + 1 }))
    .filter((l) => l.line.trim().length > 0);
}

function main() {
  const [specFile, logFile] = process.argv.slice(2);
  if (!specFile || !logFile) usage();
  const checker = new Checker(loadSpec(specFile));
  const lines = readLog(logFile);
  let checked = 0;
  let skipped = 0;
  const failures = [];
  const operations = new Set();
  for (const { line, number } of lines) {
    let exchange;
    try {
      exchange = JSON.parse(line);
    } catch (e) {
      failures.push({ number, what: '(unparsable log line)', problems: [e.message], body: line });
      continue;
    }
    if (exchange.server !== 'oncepayd') {
      ++skipped;
      continue;
    }
    ++checked;
    const problems = checker.check(exchange);
    const match = checker.templates.find((t) => t.regex.test(String(exchange.path).split('?')[0]));
    if (match) {
      // A 405 counts for the methods the path documents: that is where the spec lists it.
      const item = checker.spec.paths[match.template];
      const method = String(exchange.method).toLowerCase();
      const methods = exchange.status === 405 && !item[method] ? kMethods.filter((m) => item[m]) : [method];
      for (const m of methods) operations.add(`${m.toUpperCase()} ${match.template} ${exchange.status}`);
    }
    if (problems.length > 0) {
      failures.push({ number, what: `${exchange.method} ${exchange.path} -> ${exchange.status}`, problems, body: exchange.body });
    }
  }
  if (checked === 0) {
    console.error(`FAIL: ${logFile} holds no oncepayd exchange (${lines.length} lines): nothing was checked`);
    process.exit(1);
  }
  for (const f of failures.slice(0, kMaxReports)) {
    console.error(`MISMATCH line ${f.number}: ${f.what}`);
    for (const p of f.problems) console.error(`  - ${p}`);
    const body = String(f.body || '');
    console.error(`  body: ${body.length > 400 ? body.slice(0, 400) + '...' : body}`);
  }
  if (failures.length > kMaxReports) console.error(`... and ${failures.length - kMaxReports} more`);
  const untested = [];
  for (const [template, item] of Object.entries(checker.spec.paths)) {
    for (const method of kMethods.filter((m) => item[m])) {
      for (const status of Object.keys(item[method].responses || {})) {
        const key = `${method.toUpperCase()} ${template} ${status}`;
        if (!operations.has(key)) untested.push(key);
      }
    }
  }
  console.log(`documented responses no test received (${untested.length}):\n  ${untested.join('\n  ')}`);
  console.log(
    `openapi: ${checked} oncepayd exchanges checked (${operations.size} distinct operation/status pairs), ` +
      `${skipped} of other servers skipped, ${failures.length} mismatched`,
  );
  process.exit(failures.length === 0 ? 0 : 1);
}

try {
  main();
} catch (e) {
  console.error(`FAIL: ${e.message}`);
  process.exit(1);
}
