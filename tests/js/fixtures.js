'use strict';
// Bodies and signatures the integration tests send. Signatures are computed
// with node:crypto, independently of the code under test.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { FIXTURES } = require('./impl.js');

const SECRET = 'whsec_integration_tests_5e1f';
const payload = (name) => fs.readFileSync(path.join(FIXTURES, 'payloads', name));
const hmac = (secret, body) => crypto.createHmac('sha256', secret).update(body).digest('hex');

const identification = payload('identification-event.json');
const visit = payload('visit-new-visit.json');
const tampered = Buffer.from(identification.toString().replace('"employee_count": 340', '"employee_count": 341'));

module.exports = { SECRET, hmac, identification, visit, tampered, signed: hmac(SECRET, identification) };
