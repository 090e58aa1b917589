// Every error code reaches JavaScript as an Error with a stable `.code` and
// its details; bad input to every entry point is a typed rejection, never a
// crash, a hang or a synchronous throw.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

import { CarebaseError, Clinic, defaultPolicyToml, isCarebaseError, newId, open } from '../index.mjs'
import { actor, berlin, clinic, details, fhirExample, registered, rejects, schedule, system } from '../test-support/helpers.mjs'

const CODES = ['validation', 'not_found', 'conflict', 'double_booking', 'forbidden', 'invalid_policy', 'unsupported_store', 'storage']

test('every core error code reaches JavaScript with its details', async () => {
  const seen = new Map()
  const c = await clinic()
  const desk = actor('front_desk')
  const p = await registered(c, desk)
  seen.set('validation', await rejects(c.registerPatient(desk, { details: {} }), 'validation'))
  seen.set('not_found', await rejects(c.getPatient(desk, newId()), 'not_found'))
  seen.set('conflict', await rejects(c.updatePatient(desk, p.id, 9, p.details), 'conflict'))
  const { practitioner, visitType } = await schedule(c)
  const booking = { patient: p.id, practitioner: practitioner.id, visitType: visitType.id, start: berlin('10:00') }
  const first = await c.bookAppointment(desk, booking)
  const other = await registered(c, desk, details('Lindqvist', 'Sven', '1975-11-30'))
  seen.set('double_booking', await rejects(c.bookAppointment(desk, { ...booking, patient: other.id }), 'double_booking'))
  seen.set('forbidden', await rejects(c.getPatient(actor('practitioner'), p.id), 'forbidden'))
  seen.set('invalid_policy', await rejects(open('memory:', { policy: 'version = "one"' }), 'invalid_policy'))
  seen.set('unsupported_store', await rejects(open('mysql://localhost/x'), 'unsupported_store'))
  seen.set('storage', await rejects(open('sqlite:///nonexistent-dir/deeper/clinic.db'), 'storage'))
  assert.deepEqual([...seen.keys()].sort(), [...CODES].sort())
  for (const [code, err] of seen) {
    assert.ok(err instanceof Error, code)
    assert.ok(err instanceof CarebaseError, code)
    assert.ok(isCarebaseError(err), code)
    assert.equal(err.name, 'CarebaseError')
    assert.equal(err.code, code)
    assert.equal(typeof err.message, 'string')
    assert.ok(!err.message.startsWith('carebase-error:'), err.message)
    assert.ok(err.stack.includes('errors.test.mjs'), err.stack)
  }
  assert.ok(Array.isArray(seen.get('validation').fields))
  assert.ok(seen.get('validation').fields.every((f) => f.field && f.code && f.message))
  assert.equal(seen.get('forbidden').reason.permission, 'patient.read')
  assert.ok(Array.isArray(seen.get('forbidden').reason.steps))
  assert.match(seen.get('invalid_policy').location, /line 1/)
  assert.equal(seen.get('unsupported_store').scheme, 'mysql')
  assert.equal(seen.get('not_found').entity, 'patient')
  assert.equal(seen.get('conflict').detail.kind, 'stale_version')
  assert.equal(seen.get('double_booking').resource, 'practitioner')
  assert.equal(seen.get('double_booking').appointment, first.id)
})

test('a storage failure carries the kind a host can act on: a server nobody listens on is unavailable', async () => {
  // port 1 (tcpmux): no server listens there on any machine these tests run on
  const err = await rejects(open('postgres://carebase:secret@127.0.0.1:1/carebase?acquire_timeout=1'), 'storage')
  assert.equal(err.kind, 'unavailable')
  assert.ok(!err.message.includes('secret'))
})

test('a storage failure carries the kind a host can act on: a file that is not a database is corrupt', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carebase-node-'))
  try {
    const file = join(dir, 'notes.db')
    writeFileSync(file, 'not a database, just text. '.repeat(200))
    const err = await rejects(open(`sqlite://${file}`), 'storage')
    assert.equal(err.kind, 'corrupt')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

// Core reads every argument (as for Python and Kotlin): a missing one is
// `required`, a value of the wrong JSON type `invalid_type`, an unknown
// code `invalid_value`, each at its path; the value itself is never quoted.
test('arguments of the wrong JavaScript type are validation errors naming the argument, as in every host', async () => {
  const c = await clinic()
  const err = await rejects(c.getPatient(undefined, newId()), 'validation')
  assert.ok(err instanceof CarebaseError)
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['actor', 'required']])
  const typeErr = await rejects(c.getPatient(actor('front_desk'), 42), 'validation')
  assert.deepEqual(typeErr.fields.map((f) => [f.field, f.code]), [['id', 'invalid_type']])
  const enumErr = await rejects(c.registerPatient(actor('front_desk'), { details: { gender: 'Secret Name' } }), 'validation')
  assert.deepEqual(enumErr.fields.map((f) => [f.field, f.code]), [['details.gender', 'invalid_value']])
  assert.ok(!enumErr.message.includes('Secret Name'), enumErr.message)
  const numErr = await rejects(c.getPatient(actor('front_desk'), { secret: 'Secret Name' }), 'validation')
  assert.ok(!numErr.message.includes('Secret Name'), numErr.message)
})

// ---- bad input to every entry point ---------------------------------------

const MB = 'x'.repeat(1 << 20)
const BAD = {
  actor: [undefined, null, 42, 'admin', {}, [], { id: 'nope', roles: ['admin'] }, { id: newId(), roles: ['wizard'] },
    { id: newId(), roles: 'admin' }, { id: MB, roles: ['system'] }, { id: newId(), roles: ['system'], patient: 'bad' },
    { id: newId(), roles: [null] }, { id: NaN, roles: [] }],
  id: [undefined, null, 42, NaN, '', ' ', 'not-a-uuid', MB, {}, [], '2020-01-01'],
  number: [undefined, null, NaN, -1, 1.5, Infinity, -Infinity, '1', 2 ** 60, {}],
  numbers: [undefined, null, 42, 'x', {}, [NaN], [-1], [1.5], ['1'], [2 ** 60], Array(17).fill(0), Array(100_000).fill(0)],
  optNumber: [NaN, -1, 1.5, Infinity, '1', 2 ** 60, {}],
  text: [undefined, null, 42, NaN, '', MB, {}, []],
  optId: [42, NaN, '', 'not-a-uuid', MB, {}],
  permission: [undefined, null, '', 'patient.eat', 42, MB],
  // A list whose items cannot even be read is refused whole; an item that
  // reads but breaks a rule is that item's refusal (register_patients.test.mjs).
  newPatients: [undefined, null, 42, 'x', {}, [42], [null], [{ details: null }],
    [{ details: { birthDate: 'yesterday', names: [{ family: 'A' }] } }],
    Array.from({ length: 1001 }, () => ({ details: { names: [{ family: 'A' }] } }))],
  newPatient: [undefined, null, 42, 'x', [], { details: null }, { details: { names: 'x' } },
    { details: { names: [{ family: MB }] } }, { details: { birthDate: '2020-02-30', names: [{ family: 'A' }] } },
    { details: { birthDate: 'yesterday', names: [{ family: 'A' }] } }, { details: { names: [{ family: 'A' }], deceasedAt: 'nope' } },
    { details: { names: [{ family: 'A' }], telecom: [{ system: 'fax', value: '1' }] } },
    { details: { names: [{ family: 'A' }], telecom: [{ system: 'email', value: MB }] } },
    { details: { names: [{ family: 'A' }], identifiers: [{ system: '', value: '' }] } },
    { details: { names: [{ family: 'A' }] }, mrnFacility: 'nowhere' }, { details: { names: [{ family: '' }] } }],
  details: [undefined, null, 42, { names: [{ given: [MB] }] }, { birthDate: '1990-13-01', names: [{ family: 'A' }] }, {}],
  query: [42, 'x', { limit: NaN }, { limit: -1 }, { limit: 0 }, { limit: 5000 }, { cursor: 'x' }, { cursor: MB },
    { birthDate: '1990-02-30' }, { gender: 'x' }, { name: MB }],
  pageQuery: [42, 'x', { limit: NaN }, { limit: -1 }, { limit: 0 }, { limit: 5000 }, { cursor: 'x' }, { cursor: MB }],
  auditQuery: [42, { limit: NaN }, { limit: 0 }, { patient: 'x' }, { actor: 42 }, { after: MB }],
  consumer: [undefined, null, 42, '', 'has space', MB],
  instant: [undefined, null, 42, '', 'yesterday', '2027-02-30T00:00:00Z', MB],
  status: [undefined, null, '', 'maybe', 42, MB],
  // Any clinical entry body: not an object, or an object missing what every kind needs.
  recordBody: [undefined, null, 42, 'x', [], {}],
  noteTitle: [42, {}, [], MB],
  optInstant: [42, '', 'yesterday', '2027-02-30T00:00:00Z', MB],
  newEncounter: (v) => [undefined, null, 42, {}, { ...v, class: 'car' }, { ...v, status: 'finished' },
    { ...v, startedAt: 'x' }, { ...v, startedAt: undefined }, { ...v, practitioners: ['x'] }, { ...v, location: MB },
    { ...v, appointment: 'x' }, { ...v, reasons: [{ system: 'http://loinc.org', code: '12345-6' }] }],
  checkIn: [42, 'x', { status: 'maybe' }, { status: 'finished' }, { location: MB }, { location: 42 }],
  observation: (v) => [undefined, null, 42, {}, { ...v, code: 42 }, { ...v, status: 'maybe' }, { ...v, category: 'x' },
    { ...v, value: { type: 'quantity', value: '70', unit: 'cm' } }],
  labReport: (v) => [undefined, null, 42, {}, { ...v, status: 'amended' }, { ...v, results: 42 }, { ...v, results: undefined },
    { ...v, code: { system: 'http://loinc.org', code: '12345-6' } }, { ...v, conclusion: MB },
    { ...v, results: [v.results[0], { ...v.results[0], value: { type: 'quantity', value: '1', unit: 'furlongs' } }] },
    { ...v, results: Array(201).fill(v.results[0]) }],
  newPractitioner: [undefined, null, 42, {}, { name: 'X' }, { name: '', timeZone: 'UTC' }, { name: MB, timeZone: 'UTC' },
    { name: 'X', timeZone: 'Nowhere/City' }, { name: 'X', timeZone: 'UTC', id: 'bad' },
    { name: 'X', timeZone: 'UTC', availability: 42 }, { name: 'X', timeZone: 'UTC', availability: { slotMinutes: -1 } }],
  availability: [undefined, null, 42, { slotMinutes: NaN }, { slotMinutes: 0 }, { slotMinutes: 15, maxPerDay: 1.5 },
    { slotMinutes: 15, weekly: [{ weekday: 'funday', start: '09:00', end: '10:00' }] },
    { slotMinutes: 15, weekly: [{ weekday: 'monday', start: '9', end: '10:00' }] },
    { slotMinutes: 15, weekly: [{ weekday: 'monday', start: '10:00', end: '09:00' }] },
    { slotMinutes: 15, weekly: [{ weekday: 'monday', start: '09:00', end: '10:00', validFrom: 'soon' }] },
    { slotMinutes: 15, exceptions: [{ date: '2027-02-30' }] },
    { slotMinutes: 15, exceptions: [{ date: '2027-03-01', extraHours: { start: '25:00', end: MB } }] },
    { slotMinutes: 15, timeOff: [{ start: 'x', end: MB }] }],
  newResource: [undefined, null, 42, {}, { kind: 'car', name: 'x', timeZone: 'UTC' },
    { kind: 'room', name: '', timeZone: 'UTC' }, { kind: 'room', name: 'x', timeZone: 'Nowhere' }],
  newVisitType: [undefined, 42, {}, { code: 'x', name: 'x', durationMinutes: 0, horizonDays: 10 },
    { code: 'x', name: 'x', durationMinutes: -5, horizonDays: 10 }, { code: 'x', name: 'x', durationMinutes: 30, horizonDays: NaN },
    { code: 'x', name: 'x', durationMinutes: 30, horizonDays: 10, reminderOffsetsMinutes: [-1] },
    { code: 'x', name: 'x', durationMinutes: 30, horizonDays: 10, bufferBeforeMinutes: 1.5 },
    { code: '', name: 'x', durationMinutes: 30, horizonDays: 10 }, { code: 'x', name: MB, durationMinutes: 30, horizonDays: 10 }],
  slotQuery: (v) => [undefined, 42, {}, { ...v, practitioners: [] }, { ...v, practitioners: ['bad'] }, { ...v, from: 'x' },
    { ...v, to: v.from }, { ...v, limit: 0 }, { ...v, limit: NaN }, { ...v, cursor: MB }, { ...v, visitType: 'x' },
    { ...v, room: 42 }],
  booking: (v) => [undefined, null, 42, {}, { ...v, patient: 'x' }, { ...v, start: 'tomorrow' }, { ...v, start: MB },
    { ...v, start: berlin('07:00') }, { ...v, status: 'maybe' }, { ...v, status: 'fulfilled' }, { ...v, visitType: 42 },
    { ...v, room: '' }, { ...v, note: MB }],
  series: (v) => [undefined, 42, {}, { first: v.first }, { ...v, recurrence: { everyWeeks: 0, count: 3 } },
    { ...v, recurrence: { everyWeeks: 1 } }, { ...v, recurrence: { everyWeeks: 1, until: '2027-13-01' } },
    { ...v, recurrence: { everyWeeks: 1, count: -1 } }, { ...v, first: { ...v.first, start: 'x' } }],
  reschedule: (v) => [undefined, 42, {}, { start: 'x' }, { start: MB }, { ...v, practitioner: 'x' }, { ...v, room: 42 },
    { start: berlin('07:00') }],
  cancel: [undefined, null, 42, {}, { reason: '' }, { reason: MB }, { reason: 'pat', note: MB }],
  fhirImport: (v) => [undefined, null, 42, 'x', {}, { ...v, resource: undefined }, { ...v, resource: 42 },
    { ...v, resource: {} }, { ...v, resource: MB }, { ...v, resource: { ...v.resource, resourceType: 'Patient' } },
    { ...v, resource: { ...v.resource, start: 'x' } }, { ...v, resource: { ...v.resource, start: MB } },
    { ...v, resource: { ...v.resource, end: v.resource.start } }, { ...v, resource: { ...v.resource, status: 'fulfilled' } },
    { ...v, resource: { ...v.resource, participant: 42 } }, { ...v, visitType: 'x' }, { ...v, visitType: 42 },
    { ...v, visitType: undefined }, { ...v, references: 42 }, { ...v, references: {} },
    { ...v, references: { ...v.references, 'Patient/example': 'x' } }, { ...v, references: { ...v.references, 'Patient/example': 42 } }],
  entryFhirImport: (v) => [undefined, null, 42, 'x', {}, { ...v, resource: undefined }, { ...v, resource: 42 },
    { ...v, resource: {} }, { ...v, resource: MB }, { ...v, resource: { ...v.resource, resourceType: 'Claim' } },
    { ...v, resource: { ...v.resource, valueQuantity: { ...v.resource.valueQuantity, code: 'cm' } } },
    { ...v, resource: { ...v.resource, effectiveDateTime: 'x' } }, { ...v, resource: { ...v.resource, status: 'maybe' } },
    { ...v, references: 42 }, { ...v, references: {} }, { ...v, references: { 'Patient/p1': 'x' } },
    { ...v, references: { 'Patient/p1': 42 } }],
  patientResource: (v) => [undefined, null, 42, 'x', {}, [], MB, { ...v, resourceType: 'Practitioner' }, { ...v, name: 42 },
    { ...v, name: [{ family: 42 }] }, { ...v, gender: 'x' }, { ...v, birthDate: '2999-01-01' }, { ...v, active: 'yes' },
    { ...v, telecom: [{ system: 'phone', value: 'not a phone' }] }, { ...v, deceasedDateTime: 'x' }],
  optFacility: [42, '', 'nowhere', MB, {}],
  practitionerResource: (v) => [undefined, null, 42, 'x', {}, [], MB, { ...v, resourceType: 'Patient' }, { ...v, id: 42 },
    { ...v, name: 42 }, { ...v, name: [{ family: 42 }] }, { ...v, name: [{ text: MB }] }, { ...v, active: 'yes' }],
  timeZone: [undefined, null, 42, '', 'Nowhere/City', MB, {}],
  checkpoint: (v) => [42, 'x', {}, { ...v, seq: -1 }, { ...v, seq: 1.5 }, { ...v, at: 'x' }, { ...v, at: MB },
    { ...v, root: MB }, { ...v, root: 'not hex' }, { ...v, keyId: 42 }, { ...v, signature: 'ABC' },
    { ...v, prevSignature: undefined }],
  newEntry: (v) => [undefined, null, 42, {}, { ...v, effectiveAt: 'x' }, { ...v, effectiveAt: MB }, { ...v, body: 42 },
    { ...v, body: { kind: 'nope' } }, { ...v, encounter: 'x' }, { ...v, body: { ...v.body, value: { type: 'quantity', value: '7e3', unit: 'kg' } } },
    { ...v, body: { ...v.body, value: { type: 'quantity', value: '70', unit: 'cm' } } }],
  entryBody: (v) => [undefined, null, 42, {}, { kind: 'nope' }, { ...v, code: 42 }, { ...v, status: 'maybe' },
    { ...v, value: { type: 'quantity', value: 'NaN', unit: 'kg' } }, { ...v, value: { type: 'quantity', value: '70', unit: MB } }],
  timelineQuery: [42, 'x', { limit: 0 }, { limit: 5000 }, { limit: NaN }, { cursor: 'x' }, { cursor: MB }, { kinds: ['nope'] },
    { from: 'x' }, { code: { system: '', code: '1' } }],
  codings: [undefined, null, 42, [42], [{ system: '', code: '1' }], [{ system: 'x', code: MB }]],
  contentType: [undefined, null, 42, '', 'text/html', 'no type', MB],
  bytes: [undefined, null, 42, 'x', [1, 2, 3], {}, new Uint8Array((20 << 20) + 1)],
  observationQuery: (v) => [undefined, 42, {}, { ...v, limit: 0 }, { ...v, cursor: 'x' }, { ...v, code: { system: 's', code: '' } },
    { ...v, from: 'x' }],
  appointmentQuery: (v) => [undefined, 42, {}, { from: v.from }, { ...v, from: 'x' }, { ...v, to: v.from },
    { ...v, limit: 0 }, { ...v, limit: 5000 }, { ...v, practitioner: 'x' }, { ...v, includeInactive: 'yes' },
    { from: v.from, to: v.to }],
}

test('bad input to every entry point is a typed rejection, never a crash or hang', { timeout: 120_000 }, async () => {
  const c = await clinic()
  const desk = actor('front_desk')
  const p = await registered(c, desk)
  const sys = system()
  const S = () => sys
  const { practitioner: doc, visitType } = await schedule(c, sys)
  const booking = { patient: p.id, practitioner: doc.id, visitType: visitType.id, start: berlin('10:00') }
  const a = await c.bookAppointment(desk, booking)
  const spring = { from: '2027-02-01T00:00:00Z', to: '2027-04-01T00:00:00Z' }
  const room = await c.addResource(sys, { kind: 'room', name: 'Room', timeZone: 'UTC' })
  const kept = await c.auditCheckpoint(sys)
  const fhirImport = {
    resource: fhirExample('Appointment-example.json'),
    visitType: visitType.id,
    references: { 'Patient/example': p.id, 'Practitioner/example': doc.id, 'Location/1': room.id },
  }
  const weight = {
    kind: 'observation', code: { system: 'http://loinc.org', code: '29463-7' }, category: 'vital-signs', status: 'final',
    value: { type: 'quantity', value: '70', unit: 'kg' },
  }
  const newEntry = { effectiveAt: new Date(Date.now() - 3600_000), body: weight }
  const e = await c.recordEntry(sys, p.id, newEntry)
  const letter = Buffer.from('%PDF-1.7 a letter')
  const d = await c.attachDocument(sys, p.id, new Date(Date.now() - 3600_000), null, 'application/pdf', null, letter)
  const observationQuery = { code: { system: 'http://loinc.org', code: '29463-7' } }
  const at = new Date(Date.now() - 3600_000)
  const snomed = (code) => ({ system: 'http://snomed.info/sct', code })
  const condition = { code: snomed('44054006'), clinicalStatus: 'active', verificationStatus: 'confirmed' }
  const allergy = { substance: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '7980' }, clinicalStatus: 'active' }
  const procedure = { code: snomed('80146002'), status: 'completed' }
  const immunization = { vaccine: { system: 'http://hl7.org/fhir/sid/cvx', code: '140' }, status: 'completed' }
  const prescription = { medication: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '308182' }, prescriber: doc.id, status: 'active' }
  const entryFhirImport = {
    resource: {
      resourceType: 'Observation', status: 'final', subject: { reference: 'Patient/p1' },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] }, effectiveDateTime: at.toISOString(),
      valueQuantity: { value: 70, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
    },
    references: { 'Patient/p1': p.id },
  }
  const visit = { class: 'ambulatory', status: 'in-progress', startedAt: at, practitioners: [doc.id] }
  const enc = await c.startEncounter(sys, p.id, visit)
  const { kind: _kind, ...observation } = weight
  const glucose = {
    code: { system: 'http://loinc.org', code: '2339-0' }, category: 'laboratory', status: 'final',
    value: { type: 'quantity', value: '90', unit: 'mg/dL' },
  }
  const labReport = { code: { system: 'http://loinc.org', code: '51990-0' }, status: 'final', results: [glucose] }
  // method: [kind of each argument, valid value of each argument]
  const methods = {
    recordEntry: [['actor', 'id', 'newEntry'], [S(), p.id, newEntry]],
    changeEntryStatus: [['actor', 'id', 'id', 'number', 'status'], [S(), p.id, e.id, 1, 'amended']],
    amendEntry: [['actor', 'id', 'id', 'number', 'entryBody', 'text'], [S(), p.id, e.id, 1, weight, 'fix']],
    retractEntry: [['actor', 'id', 'id', 'number', 'text'], [S(), p.id, e.id, 1, 'wrong patient']],
    patientTimeline: [['actor', 'id', 'timelineQuery'], [S(), p.id, {}]],
    entryHistory: [['actor', 'id', 'id'], [S(), p.id, e.id]],
    latestVitals: [['actor', 'id'], [S(), p.id]],
    latestObservations: [['actor', 'id', 'codings'], [S(), p.id, [weight.code]]],
    observationsAcrossPatients: [['actor', 'observationQuery'], [S(), observationQuery]],
    recordCondition: [['actor', 'id', 'instant', 'optId', 'recordBody'], [S(), p.id, at, null, condition]],
    recordAllergy: [['actor', 'id', 'instant', 'optId', 'recordBody'], [S(), p.id, at, null, allergy]],
    recordProcedure: [['actor', 'id', 'instant', 'optId', 'recordBody'], [S(), p.id, at, null, procedure]],
    recordImmunization: [['actor', 'id', 'instant', 'optId', 'recordBody'], [S(), p.id, at, null, immunization]],
    prescribe: [['actor', 'id', 'instant', 'optId', 'recordBody'], [S(), p.id, at, null, prescription]],
    changePrescriptionStatus: [['actor', 'id', 'id', 'number', 'status'], [S(), p.id, e.id, 1, 'on-hold']],
    renewPrescription: [['actor', 'id', 'id', 'number', 'status', 'recordBody'], [S(), p.id, e.id, 1, 'completed', prescription]],
    writeNote: [['actor', 'id', 'instant', 'optId', 'noteTitle', 'text'], [S(), p.id, at, null, null, 'Seen today.']],
    startEncounter: [['actor', 'id', 'newEncounter'], [S(), p.id, visit]],
    changeEncounterStatus: [['actor', 'id', 'id', 'number', 'status'], [S(), p.id, enc.id, 1, 'finished']],
    finishEncounter: [['actor', 'id', 'id', 'number', 'optInstant'], [S(), p.id, enc.id, 1, null]],
    cancelEncounter: [['actor', 'id', 'id', 'number', 'text'], [S(), p.id, enc.id, 1, 'patient unwell']],
    checkInAppointment: [['actor', 'id', 'number', 'checkIn'], [desk, a.id, 1, {}]],
    recordObservation: [['actor', 'id', 'instant', 'optId', 'observation'], [S(), p.id, at, null, observation]],
    recordLabReport: [['actor', 'id', 'instant', 'optId', 'labReport'], [S(), p.id, at, null, labReport]],
    attachDocument: [['actor', 'id', 'instant', 'optId', 'contentType', 'noteTitle', 'bytes'],
      [S(), p.id, at, null, 'application/pdf', 'Letter', letter]],
    readDocument: [['actor', 'id', 'id'], [S(), p.id, d.id]],
    registerPatient: [['actor', 'newPatient'], [desk, { details: details('A', 'B', '1990-01-01') }]],
    registerPatients: [['actor', 'newPatients'], [desk, [{ details: details('A', 'B', '1990-01-01') }]]],
    getPatient: [['actor', 'id'], [desk, p.id]],
    updatePatient: [['actor', 'id', 'number', 'details'], [desk, p.id, 1, p.details]],
    deactivatePatient: [['actor', 'id', 'number'], [desk, p.id, 1]],
    reactivatePatient: [['actor', 'id', 'number'], [desk, p.id, 1]],
    searchPatients: [['actor', 'query'], [desk, { name: 'a' }]],
    generateMrn: [['actor', 'text'], [desk, 'north']],
    findDuplicates: [['actor', 'id', 'number'], [S(), p.id, 5]],
    mergePatients: [['actor', 'id', 'number', 'id', 'number'], [S(), p.id, 1, p.id, 1]],
    unmergePatients: [['actor', 'id'], [S(), newId()]],
    mergeHistory: [['actor', 'id'], [S(), p.id]],
    assignCareTeam: [['actor', 'id', 'id'], [S(), p.id, newId()]],
    removeCareTeam: [['actor', 'id', 'id'], [S(), p.id, newId()]],
    careTeam: [['actor', 'id'], [S(), p.id]],
    patientsOfPractitioner: [['actor', 'id', 'pageQuery'], [S(), doc.id, { limit: 5 }]],
    explainAccess: [['actor', 'permission', 'optId'], [S(), 'patient.read', p.id]],
    requestEmergencyAccess: [['actor', 'id', 'text', 'optNumber'], [S(), p.id, 'why', 10 * 60_000]],
    grantsAwaitingReview: [['actor', 'number'], [S(), 10]],
    reviewEmergencyAccess: [['actor', 'id', 'optText'], [S(), newId(), 'ok']],
    auditLog: [['actor', 'auditQuery'], [S(), {}]],
    verifyAudit: [['actor', 'checkpoint'], [S(), kept]],
    auditCheckpoint: [['actor'], [S()]],
    whoAccessed: [['actor', 'id', 'optNumber'], [S(), p.id, 10]],
    pollEvents: [['actor', 'consumer', 'number'], [S(), 'relay', 10]],
    eventsAfter: [['actor', 'numbers', 'number'], [S(), [], 10]],
    ackEvents: [['actor', 'consumer', 'number', 'number'], [S(), 'relay', 0, 0]],
    replacePolicy: [['actor', 'text'], [S(), defaultPolicyToml()]],
    addPractitioner: [['actor', 'newPractitioner'], [S(), { name: 'Dr X', timeZone: 'UTC' }]],
    setAvailability: [['actor', 'id', 'number', 'availability'], [S(), doc.id, 1, { slotMinutes: 15 }]],
    getPractitioner: [['actor', 'id'], [desk, doc.id]],
    listPractitioners: [['actor'], [desk]],
    addResource: [['actor', 'newResource'], [S(), { kind: 'room', name: 'Room', timeZone: 'UTC' }]],
    listResources: [['actor'], [desk]],
    addVisitType: [['actor', 'newVisitType'], [S(), { code: 'x', name: 'X', durationMinutes: 30, horizonDays: 10 }]],
    listVisitTypes: [['actor'], [desk]],
    findFreeSlots: [['actor', 'slotQuery'], [desk, { visitType: visitType.id, practitioners: [doc.id], ...spring, limit: 5 }]],
    bookAppointment: [['actor', 'booking'], [desk, { ...booking, start: berlin('11:00') }]],
    bookSeries: [['actor', 'series'], [desk, { first: { ...booking, start: berlin('12:00') }, recurrence: { everyWeeks: 1, count: 2 } }]],
    getAppointment: [['actor', 'id'], [desk, a.id]],
    rescheduleAppointment: [['actor', 'id', 'number', 'reschedule'], [desk, a.id, 1, { start: berlin('13:00') }]],
    cancelAppointment: [['actor', 'id', 'number', 'cancel'], [desk, a.id, 1, { reason: 'pat' }]],
    changeAppointmentStatus: [['actor', 'id', 'number', 'status'], [desk, a.id, 1, 'arrived']],
    listAppointments: [['actor', 'appointmentQuery'], [desk, { practitioner: doc.id, ...spring }]],
    dueReminders: [['actor', 'instant', 'instant', 'number'], [S(), spring.from, spring.to, 10]],
    markReminderSent: [['actor', 'id', 'number'], [S(), a.id, 120]],
    exportAppointmentFhir: [['actor', 'id'], [desk, a.id]],
    importAppointmentFhir: [['actor', 'fhirImport'], [S(), fhirImport]],
    importEntryFhir: [['actor', 'id', 'entryFhirImport'], [S(), p.id, entryFhirImport]],
    exportEntryFhir: [['actor', 'id', 'id'], [S(), p.id, e.id]],
    exportScheduleFhir: [['actor', 'id'], [desk, doc.id]],
    exportFreeSlotsFhir: [['actor', 'slotQuery'], [desk, { visitType: visitType.id, practitioners: [doc.id], ...spring, limit: 5 }]],
    importPatientFhir: [['actor', 'patientResource', 'optFacility'], [desk, fhirExample('Patient-example.json'), null]],
    exportPatientFhir: [['actor', 'id'], [desk, p.id]],
    importPractitionerFhir: [['actor', 'practitionerResource', 'timeZone'], [S(), fhirExample('Practitioner-example.json'), 'UTC']],
    exportPractitionerFhir: [['actor', 'id'], [desk, doc.id]],
  }
  // The operations of core's list (the accessors settings, policy and auditKeyId are not operations).
  const accessors = ['constructor', 'settings', 'policy', 'auditKeyId']
  const clinicMethods = Object.getOwnPropertyNames(Clinic.prototype).filter((n) => !accessors.includes(n))
  assert.deepEqual(Object.keys(methods).sort(), clinicMethods.sort(), 'every Clinic method is exercised')

  let calls = 0
  for (const [name, [kinds, valid]] of Object.entries(methods)) {
    for (let i = 0; i < kinds.length; i++) {
      const bads = typeof BAD[kinds[i]] === 'function' ? BAD[kinds[i]](valid[i]) : BAD[kinds[i]] ?? []
      for (const bad of bads) {
        const args = [...valid]
        args[i] = bad
        let promise
        try {
          promise = c[name](...args)
        } catch (err) {
          assert.fail(`${name} arg ${i} threw synchronously: ${err}`)
        }
        assert.ok(promise instanceof Promise, name)
        const label = `${name} arg ${i} = ${typeof bad === 'string' ? JSON.stringify(bad.slice(0, 20)) : String(bad)}`
        const err = await promise.then(
          () => assert.fail(`${label} resolved`),
          (e) => e,
        )
        assert.ok(err instanceof Error, label)
        // A policy text that does not parse is `invalid_policy`.
        const expected = name === 'replacePolicy' && i === 1 && typeof bad === 'string' ? 'invalid_policy' : 'validation'
        assert.equal(err.code, expected, `${label}: ${err.code} ${err.message.slice(0, 200)}`)
        assert.ok(err.message.length < 2000, `${label}: message echoes the input`)
        calls++
      }
    }
  }
  // open(url, options)
  for (const url of [undefined, null, 42, '', MB, 'sqlite:']) {
    const err = await open(url).then(() => assert.fail(`open(${String(url).slice(0, 10)}) resolved`), (e) => e)
    assert.ok(CODES.includes(err.code), String(err.code))
    calls++
  }
  for (const options of [42, 'x', { settings: 42 }, { settings: { breakGlassMax: NaN } },
    { settings: { mrnNamespaces: [{ facility: 'f', system: 's', digits: -1 }] } },
    { settings: { identifierSystems: [{ system: 's', checkDigit: 'md5' }] } }, { policy: 42 }, { policy: MB }, { policy: '' },
    { auditKey: 42 }, { auditKey: 'x'.repeat(40) }, { auditKey: new Uint8Array(3) }, { auditKey: new Uint8Array(4096) }]) {
    const err = await open('memory:', options).then(() => assert.fail(`open(memory:, ${JSON.stringify(options).slice(0, 40)}) resolved`), (e) => e)
    assert.ok(['validation', 'invalid_policy'].includes(err.code), String(err.code))
    calls++
  }
  assert.ok(calls > 200, String(calls))
  // The clinic still works, nothing was booked or changed, and its audit is intact.
  assert.equal((await c.getPatient(desk, p.id)).id, p.id)
  assert.deepEqual(await c.getAppointment(desk, a.id), a)
  assert.deepEqual((await c.listAppointments(desk, { practitioner: doc.id, ...spring })).map((x) => x.id), [a.id])
  const fhirDay = { from: '2013-12-01T00:00:00Z', to: '2014-01-01T00:00:00Z' }
  assert.deepEqual(await c.listAppointments(desk, { practitioner: doc.id, ...fhirDay }), [], 'no FHIR import went through')
  assert.equal((await c.verifyAudit(sys)).ok, true)
})

test('a member core does not declare is refused as unknown_field naming it, never dropped', async () => {
  const c = await clinic()
  const desk = actor('front_desk')
  const err = await rejects(c.registerPatient(desk, { details: { names: [{ family: 'Use', use: 'official' }] } }), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['details.names[0].use', 'unknown_field']])
  const misspelt = await rejects(open('memory:', { settings: { breakGlassDefaultMinutes: 30 } }), 'validation')
  assert.deepEqual(misspelt.fields.map((f) => [f.field, f.code]), [['settings.breakGlassDefaultMinutes', 'unknown_field']])
  const option = await rejects(open('memory:', { setting: {} }), 'validation')
  assert.deepEqual(option.fields.map((f) => [f.field, f.code]), [['setting', 'unknown_field']])
})
