import assert from 'node:assert/strict'
import { test } from 'node:test'

import { CarebaseError, newId } from '../index.mjs'
import { MRN, actor, clinic, details, registered, rejects, system } from '../test-support/helpers.mjs'

const desk = actor('front_desk')

test('register, get and update; a stale version is a conflict', async () => {
  const c = await clinic()
  const p = await registered(c, desk)
  assert.match(p.id, /^[0-9a-f-]{36}$/)
  assert.equal(p.version, 1)
  assert.equal(p.active, true)
  assert.equal(p.details.birthDate, '1990-03-04')
  assert.ok(p.createdAt instanceof Date && !Number.isNaN(p.createdAt.getTime()))
  assert.deepEqual(p.hiddenFields, [])

  const read = await c.getPatient(desk, p.id)
  assert.deepEqual(read, p)

  const changed = { ...read.details, language: 'fr-CA', deceased: false }
  const v2 = await c.updatePatient(desk, p.id, 1, changed)
  assert.equal(v2.version, 2)
  assert.equal(v2.details.language, 'fr-CA')

  const err = await rejects(c.updatePatient(desk, p.id, 1, changed), 'conflict')
  assert.ok(err instanceof CarebaseError)
  assert.deepEqual(err.detail, { kind: 'stale_version', entity: 'patient', expected: 1, actual: 2 })
  assert.equal((await c.getPatient(desk, p.id)).version, 2)
})

test('registration reports every invalid field at once, without the values', async () => {
  const c = await clinic()
  const bad = details('', '', '2999-01-01')
  bad.telecom.push({ system: 'email', value: 'not-an-email' })
  bad.birthDate = '2999-01-01'
  const err = await rejects(c.registerPatient(desk, { details: bad }), 'validation')
  const paths = err.fields.map((f) => f.field)
  assert.ok(paths.some((p) => p.startsWith('names')), paths.join())
  assert.ok(paths.includes('birth_date'), paths.join())
  assert.ok(paths.some((p) => p.startsWith('telecom[1]')), paths.join())
  for (const f of err.fields) assert.equal(typeof f.code, 'string')
  assert.ok(!JSON.stringify(err.fields).includes('not-an-email'))
  assert.ok(!err.message.includes('not-an-email'))
})

test('a malformed date is invalid_format naming its path, as in every host', async () => {
  const c = await clinic()
  const bad = details('', '', '1990-02-30', { deceasedAt: 'yesterday' })
  const err = await rejects(c.registerPatient(desk, { details: bad }), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['details.birth_date', 'invalid_format']])
  assert.match(err.message, /details\.birth_date \(invalid_format\)/)
})

test('registration assigns a check-digit MRN; generateMrn continues the sequence', async () => {
  const c = await clinic()
  const p = await c.registerPatient(desk, { details: details('Núñez', 'José', '1984-07-01'), mrnFacility: 'north' })
  const [mrn] = p.details.identifiers
  assert.equal(mrn.system, MRN)
  assert.match(mrn.value, /^\d{8}$/)
  const next = await c.generateMrn(desk, 'north')
  assert.equal(next.system, MRN)
  assert.notEqual(next.value, mrn.value)
  await rejects(c.generateMrn(desk, 'south'), 'validation')
})

test('an identifier with a wrong check digit is rejected; a duplicate one conflicts', async () => {
  const c = await clinic()
  const wrong = details('Doe', 'Jane', '1970-01-01', { identifiers: [{ system: MRN, value: '12345678' }] })
  const err = await rejects(c.registerPatient(desk, { details: wrong }), 'validation')
  assert.equal(err.fields[0].field, 'identifiers[0].value')
  assert.equal(err.fields[0].code, 'check_digit')

  const mrn = await c.generateMrn(desk, 'north')
  const d = details('Doe', 'Jane', '1970-01-01', { identifiers: [mrn] })
  await c.registerPatient(desk, { details: d })
  const dup = await rejects(c.registerPatient(desk, { details: d }), 'conflict')
  assert.deepEqual(dup.detail, { kind: 'duplicate_identifier', system: MRN })
  assert.ok(!dup.message.includes(mrn.value))
})

test('deactivate then reactivate round-trips the active flag', async () => {
  const c = await clinic()
  const p = await registered(c, desk)
  const off = await c.deactivatePatient(desk, p.id, 1)
  assert.equal(off.active, false)
  assert.equal(off.version, 2)
  const again = await rejects(c.deactivatePatient(desk, p.id, 2), 'conflict')
  assert.equal(again.detail.kind, 'invalid_state')
  const on = await c.reactivatePatient(desk, p.id, 2)
  assert.equal(on.active, true)
  assert.equal(on.version, 3)
})

test('search is accent- and case-insensitive and pages with a cursor', async () => {
  const c = await clinic()
  await c.registerPatient(desk, { details: details('Núñez', 'José', '1984-07-01') })
  await c.registerPatient(desk, { details: details('Nunez', 'Joseph', '1985-01-01') })
  await c.registerPatient(desk, { details: details('Other', 'Person', '1970-01-01') })
  const found = await c.searchPatients(desk, { name: 'jose' })
  assert.equal(found.items.length, 2)
  const accent = await c.searchPatients(desk, { name: 'NÚÑ' })
  assert.equal(accent.items.length, 2)
  const byDate = await c.searchPatients(desk, { birthDate: '1984-07-01' })
  assert.equal(byDate.items.length, 1)

  for (let i = 0; i < 5; i++) {
    await c.registerPatient(desk, { details: details('Pager', `P${i}`, '2000-01-01') })
  }
  const seen = []
  let cursor
  let pages = 0
  do {
    const page = await c.searchPatients(desk, { name: 'pager', limit: 2, cursor })
    seen.push(...page.items.map((p) => p.details.names[0].given[0]))
    cursor = page.nextCursor
    pages++
  } while (cursor)
  assert.equal(pages, 3)
  assert.deepEqual(seen, ['P0', 'P1', 'P2', 'P3', 'P4'])
  const all = await c.searchPatients(desk)
  assert.equal(all.items.length, 8)
})

test('a forged cursor and a zero limit are both reported', async () => {
  const c = await clinic()
  const err = await rejects(c.searchPatients(desk, { cursor: 'forged', limit: 0 }), 'validation')
  const paths = err.fields.map((f) => f.field).sort()
  assert.deepEqual(paths, ['cursor', 'limit'])
})

test('billing sees claim fields but not contacts (masking)', async () => {
  const c = await clinic()
  const p = await registered(c, desk)
  const billing = actor('billing')
  const seen = await c.getPatient(billing, p.id)
  assert.ok(seen.hiddenFields.includes('telecom'))
  assert.deepEqual(seen.details.telecom, [])
  assert.equal(seen.details.names[0].family, 'Okafor')
  const page = await c.searchPatients(billing, { name: 'okafor' })
  assert.deepEqual(page.items[0].details.telecom, [])
})

test('an update through a masked view keeps the hidden fields', async () => {
  const c = await clinic()
  const p = await registered(c, desk)
  const doctor = actor('practitioner', { practitioner: newId() })
  await c.addPractitioner(system(), { id: doctor.practitioner, name: 'Dr Care', timeZone: 'UTC' })
  await c.assignCareTeam(actor('admin'), p.id, doctor.practitioner)
  // A clinician searching sees a partial view; updating it keeps the telecom.
  const [partial] = (await c.searchPatients(doctor, { name: 'okafor' })).items
  assert.ok(partial.hiddenFields.includes('telecom'))
  const v2 = await c.updatePatient(system(), p.id, 1, { ...p.details, language: 'en' })
  assert.equal(v2.version, 2)
  const full = await c.getPatient(desk, p.id)
  assert.equal(full.details.telecom.length, 1)
})

test('reading a missing patient is not_found', async () => {
  const c = await clinic()
  const err = await rejects(c.getPatient(desk, newId()), 'not_found')
  assert.equal(err.entity, 'patient')
})
