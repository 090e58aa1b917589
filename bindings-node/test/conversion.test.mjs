// What the generated conversion promises (tools/codegen -> generated.js ->
// convert.js): JavaScript's own types in, core's serde form on the wire,
// the same values back.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'

import { defaultSettings, open, systemActor } from '../index.mjs'
import { actor, clinic, details, practitioner, registered, rejects } from '../test-support/helpers.mjs'

const require = createRequire(import.meta.url)
const { toCore, fromCore } = require('../convert.js')
const MINUTE = 60_000

test('a birth date given as a Date is stored as its UTC calendar date and reads back as YYYY-MM-DD', async () => {
  const c = await clinic()
  const p = await registered(c, actor('front_desk'), details('Okafor', 'Amara', new Date('1990-03-04')))
  assert.equal(p.details.birthDate, '1990-03-04')
  assert.equal((await c.getPatient(actor('front_desk'), p.id)).details.birthDate, '1990-03-04')
})

test('instants come back as Dates and are accepted as Dates or RFC 3339 text', async () => {
  const c = await clinic()
  const p = await registered(c)
  assert.ok(p.createdAt instanceof Date)
  const sys = systemActor()
  assert.ok((await c.auditLog(sys, { patient: p.id })).every((e) => e.at instanceof Date))
  const asDates = await c.dueReminders(sys, new Date('2027-01-01T00:00:00Z'), new Date('2027-02-01T00:00:00Z'), 10)
  const asText = await c.dueReminders(sys, '2027-01-01T00:00:00Z', '2027-02-01T01:00:00+01:00', 10)
  assert.deepEqual(asDates, asText)
})

test('an instant read from carebase and handed back keeps its microseconds, also through JSON', () => {
  const at = fromCore('t', '2026-01-02T03:04:05.123456Z')
  assert.ok(at instanceof Date)
  assert.equal(toCore('t', at), '2026-01-02T03:04:05.123456Z')
  assert.equal(JSON.parse(JSON.stringify({ at })).at, '2026-01-02T03:04:05.123456Z')
  // A Date moved by the host is the instant it now shows.
  at.setTime(at.getTime() + 1000)
  assert.equal(toCore('t', at), '2026-01-02T03:04:06.123Z')
})

test('an invalid Date is invalid_format naming the field', async () => {
  const c = await clinic()
  const err = await rejects(c.dueReminders(systemActor(), new Date('nope'), new Date(), 10), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['from', 'invalid_format']])
})

test('event payload members are camelCase and their instants Dates', async () => {
  const c = await clinic()
  const p = await registered(c)
  const [event] = await c.pollEvents(systemActor(), 'relay', 1)
  assert.equal(event.kind, 'patient.registered')
  assert.equal(event.payload.patientId, p.id)
  assert.ok(event.payload.registeredAt instanceof Date)
  assert.ok(!('patient_id' in event.payload))
})

test('lengths of time are milliseconds both ways; settings read back as given', async () => {
  const c = await open('memory:', { settings: { breakGlassDefault: 20 * MINUTE } })
  assert.equal(c.settings().breakGlassDefault, 20 * MINUTE)
  assert.equal(defaultSettings().breakGlassMax, 24 * 60 * MINUTE)
  const p = await registered(c)
  const grant = await c.requestEmergencyAccess(practitioner(), p.id, 'unconscious')
  assert.equal(grant.expiresAt - grant.grantedAt, 20 * MINUTE)
})

test('a fraction of a minute is invalid_value naming the duration', async () => {
  const c = await clinic()
  const p = await registered(c)
  const err = await rejects(c.requestEmergencyAccess(practitioner(), p.id, 'unconscious', 90_500), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['duration', 'invalid_value']])
})

test('the slot grid may be left out and defaults to 15 minutes, as in every host', async () => {
  const c = await clinic()
  const doc = await c.addPractitioner(systemActor(), {
    name: 'Dr Weber',
    timeZone: 'Europe/Berlin',
    availability: { weekly: [{ weekday: 'monday', start: '09:00', end: '17:00' }] },
  })
  assert.equal(doc.availability.slotMinutes, 15)
})

test('an absent optional value is undefined and an absent list is empty', async () => {
  const c = await clinic()
  const p = await registered(c)
  assert.equal(p.mergedInto, undefined)
  assert.ok(!('mergedInto' in p))
  assert.deepEqual(p.hiddenFields, [])
})

test('an error carries its code, its details in camelCase and a message naming the failing fields', async () => {
  const c = await clinic()
  const p = await registered(c)
  const denied = await rejects(c.getPatient(actor('patient'), p.id), 'forbidden')
  assert.equal(denied.reason.permission, 'patient.read')
  assert.ok(Array.isArray(denied.reason.steps))
  const invalid = await rejects(c.registerPatient(actor('front_desk'), { details: { names: [] } }), 'validation')
  assert.match(invalid.message, /names \(required\)/)
  assert.ok(!('fields' in denied))
})

test('a whole number past 2^32 crosses as an integer, one past 2^53 is refused as not exact', async () => {
  const c = await clinic()
  const sys = systemActor()
  const past = Array(16).fill(2 ** 40)
  assert.deepEqual(await c.eventsAfter(sys, past, 10), [])
  await rejects(c.eventsAfter(sys, [2 ** 60], 10), 'validation')
})

test('an instant read from carebase equals a plain Date of the same instant and shows no extra members', async () => {
  const at = fromCore('t', '2026-01-02T03:04:05.123456Z')
  assert.deepStrictEqual(at, new Date('2026-01-02T03:04:05.123Z'))
  assert.deepEqual(Reflect.ownKeys(at), ['toJSON'])
  assert.equal(Object.keys(at).length, 0)
})

test('a Date stamped by carebase and moved by the host is read at its new instant, also through JSON', () => {
  const at = fromCore('t', '2026-01-02T03:04:05.123456Z')
  at.setTime(at.getTime() - 1)
  assert.equal(JSON.stringify(at), '"2026-01-02T03:04:05.122Z"')
})

test('results convert the same where code generation from text is disallowed', async () => {
  // The same calls in this process and in one that refuses code from text.
  const sample = `async (carebase) => {
    const desk = { id: carebase.newId(), roles: ['front_desk'] }
    const c = await carebase.open('memory:')
    const p = await c.registerPatient(desk, { details: { names: [{ family: 'Okafor', given: ['Amara'] }], birthDate: '1990-03-04' } })
    const read = await c.getPatient(desk, p.id)
    const [event] = await c.pollEvents(carebase.systemActor(), 'relay', 1)
    return { read, dates: read.createdAt instanceof Date && event.payload.registeredAt instanceof Date, event }
  }`
  const script = `(${sample})(require(${JSON.stringify(require.resolve('../index.js'))}))
    .then((r) => console.log(JSON.stringify(r)))`
  const { execFileSync } = await import('node:child_process')
  const out = execFileSync(process.execPath, ['--disallow-code-generation-from-strings', '-e', script], { encoding: 'utf8' })
  const there = JSON.parse(out)
  const here = JSON.parse(JSON.stringify(await eval(sample)(require('../index.js'))))
  // Ids, instants and the partition (by the random patient id) differ.
  const shape = (v) => JSON.stringify(v, (k, x) => ((typeof x === 'string' && k !== 'kind') || k === 'partition' ? typeof x : x))
  assert.equal(shape(there), shape(here))
  assert.ok(there.dates)
  assert.equal(there.read.details.birthDate, '1990-03-04')
  assert.match(there.read.createdAt, /\.\d{6}Z$/)
})
