// Issue 13 (encounters, check-in, observations, lab reports) through the
// Node binding: the operations are core's, reached through the generated
// Clinic methods; the rules (life cycle, one encounter per appointment,
// a report all or nothing) are core's.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { open } from '../index.mjs'
import { actor, berlin, registered, rejects, schedule, settings, system } from '../test-support/helpers.mjs'

const LOINC = 'http://loinc.org'

async function world() {
  const c = await open('memory:', { settings })
  const { practitioner: doc, visitType } = await schedule(c, system())
  const ann = await registered(c)
  await c.assignCareTeam(actor('admin'), ann.id, doc.id)
  const login = actor('practitioner', { practitioner: doc.id })
  return { c, doc, visitType, ann, login }
}

const glucose = (value, unit = 'mg/dL') => ({
  code: { system: LOINC, code: '2339-0' },
  category: 'laboratory',
  status: 'final',
  value: { type: 'quantity', value, unit },
  referenceRanges: [{ low: { value: '70', unit: 'mg/dL' }, high: { value: '100', unit: 'mg/dL' } }],
})

test('an encounter started in progress is finished, announcing its start and its end', async () => {
  const { c, doc, ann, login } = await world()
  const startedAt = new Date(Date.now() - 30 * 60_000)
  const e = await c.startEncounter(login, ann.id, { class: 'virtual', status: 'in-progress', startedAt, practitioners: [doc.id] })
  assert.equal(e.body.kind, 'encounter')
  assert.equal(e.body.status, 'in-progress')
  const done = await c.finishEncounter(login, ann.id, e.id, 1, null)
  assert.equal(done.body.status, 'finished')
  assert.ok(done.body.endedAt instanceof Date)
  const kinds = (await c.eventsAfter(system(), [], 100)).map((ev) => ev.kind).filter((k) => k.startsWith('encounter.'))
  assert.deepEqual(kinds, ['encounter.started', 'encounter.finished'])
})

test('a finish without start is refused as invalid_state', async () => {
  const { c, ann, login } = await world()
  const planned = await c.startEncounter(login, ann.id, { class: 'ambulatory', status: 'planned', startedAt: new Date(Date.now() + 86_400_000) })
  const err = await rejects(c.finishEncounter(login, ann.id, planned.id, 1, null), 'conflict')
  assert.equal(err.detail.kind, 'invalid_state')
  const cancelled = await c.cancelEncounter(login, ann.id, planned.id, 1, 'patient unwell')
  assert.equal(cancelled.revision.reason, 'patient unwell')
})

test('checking in starts the appointment encounter linked both ways, and a second check-in writes nothing', async () => {
  const { c, doc, visitType, ann, login } = await world()
  const desk = actor('front_desk')
  const a = await c.bookAppointment(desk, { patient: ann.id, practitioner: doc.id, visitType: visitType.id, start: berlin('10:00') })
  const arrived = await c.checkInAppointment(desk, a.id, 1)
  assert.equal(arrived.status, 'arrived')
  assert.equal(typeof arrived.encounter, 'string')
  const [encounter] = await c.entryHistory(login, ann.id, arrived.encounter)
  assert.equal(encounter.body.appointment, a.id)
  assert.deepEqual(encounter.body.practitioners, [doc.id])
  await rejects(c.checkInAppointment(desk, a.id, 1, { status: 'in-progress' }), 'conflict')
  assert.equal((await c.entryHistory(login, ann.id, arrived.encounter)).length, 1)
  await rejects(c.entryHistory(desk, ann.id, arrived.encounter), 'forbidden')
})

test('a lab report and its results are written together, and a bad result refuses it all naming the field', async () => {
  const { c, ann, login } = await world()
  const at = new Date(Date.now() - 3600_000)
  const panel = { code: { system: LOINC, code: '51990-0' }, status: 'preliminary', results: [glucose('90'), glucose('130')] }
  const written = await c.recordLabReport(login, ann.id, at, null, panel)
  assert.deepEqual(written.report.body.results, written.results.map((r) => r.id))
  assert.deepEqual(written.results.map((r) => r.body.interpretation), ['N', 'H'])
  const bad = { ...panel, results: [glucose('90'), glucose('91', 'furlongs')] }
  const err = await rejects(c.recordLabReport(login, ann.id, at, null, bad), 'validation')
  assert.ok(err.fields.every((f) => f.field.startsWith('results[1].value')), JSON.stringify(err.fields))
  const page = await c.patientTimeline(login, ann.id, {})
  assert.equal(page.items.length, 3)
})

test('an observation is recorded with its interpretation computed by core', async () => {
  const { c, ann, login } = await world()
  const entry = await c.recordObservation(login, ann.id, new Date(Date.now() - 60_000), null, glucose('60'))
  assert.equal(entry.body.interpretation, 'L')
})
