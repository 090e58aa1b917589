// The health record from Node: core/tests/record_*.rs (pipeline, reads, access, observations).
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { actor, clinic, details, practitioner, rejects } from '../test-support/helpers.mjs'

const LOINC = 'http://loinc.org'
const BODY_WEIGHT = '29463-7'
const anHourAgo = () => new Date(Date.now() - 3600_000)

/** A clinic, a doctor and a patient on the doctor's care team. */
async function charted() {
  const c = await clinic()
  const doc = practitioner()
  const admin = actor('admin')
  await c.addPractitioner(admin, { id: doc.practitioner, name: 'Dr Chart', timeZone: 'UTC' })
  const p = await c.registerPatient(actor('front_desk'), { details: details('Chart', 'Ada', '1980-01-01') })
  await c.assignCareTeam(admin, p.id, doc.practitioner)
  return { c, doc, patient: p.id }
}

const weight = (value, unit = 'kg', ranges = []) => ({
  effectiveAt: anHourAgo(),
  body: {
    kind: 'observation',
    code: { system: LOINC, code: BODY_WEIGHT },
    category: 'vital-signs',
    status: 'final',
    value: { type: 'quantity', value, unit },
    referenceRanges: ranges,
  },
})

test('a recorded observation reads back its exact decimal as text', async () => {
  const { c, doc, patient } = await charted()
  const entry = await c.recordEntry(doc, patient, weight('72.50'))
  assert.equal(entry.version, 1)
  assert.equal(entry.body.value.value, '72.50')
})

test('a body weight in centimetres is a validation error naming the unit', async () => {
  const { c, doc, patient } = await charted()
  const err = await rejects(c.recordEntry(doc, patient, weight('70', 'cm')), 'validation')
  assert.deepEqual(err.fields.map((f) => f.field), ['body.value.unit'])
})

test('the interpretation is computed by core from the range', async () => {
  const { c, doc, patient } = await charted()
  const entry = await c.recordEntry(doc, patient, weight('90', 'kg', [{ high: { value: '80', unit: 'kg' } }]))
  assert.equal(entry.body.interpretation, 'H')
})

test('an amendment keeps both versions in the history', async () => {
  const { c, doc, patient } = await charted()
  const first = await c.recordEntry(doc, patient, weight('72.5'))
  const amended = await c.amendEntry(doc, patient, first.id, 1, weight('27.5').body, 'digits swapped')
  assert.equal(amended.version, 2)
  const history = await c.entryHistory(doc, patient, first.id)
  assert.deepEqual(history.map((v) => v.version), [1, 2])
})

test('a retracted entry leaves the timeline and a stale retraction is a conflict', async () => {
  const { c, doc, patient } = await charted()
  const first = await c.recordEntry(doc, patient, weight('72.5'))
  await c.amendEntry(doc, patient, first.id, 1, weight('72.6').body, 're-weighed')
  await rejects(c.retractEntry(doc, patient, first.id, 1, 'stale'), 'conflict')
  await c.retractEntry(doc, patient, first.id, 2, 'wrong patient')
  assert.deepEqual((await c.patientTimeline(doc, patient)).items, [])
})

test('an encounter moves along its life cycle', async () => {
  const { c, doc, patient } = await charted()
  const visit = await c.recordEntry(doc, patient, {
    effectiveAt: anHourAgo(),
    body: { kind: 'encounter', class: 'ambulatory', status: 'in-progress' },
  })
  const done = await c.changeEntryStatus(doc, patient, visit.id, 1, 'finished')
  assert.equal(done.body.status, 'finished')
})

test('the timeline pages with a cursor', async () => {
  const { c, doc, patient } = await charted()
  await c.recordEntry(doc, patient, weight('70'))
  await c.recordEntry(doc, patient, weight('71'))
  const first = await c.patientTimeline(doc, patient, { limit: 1 })
  assert.equal(first.items.length, 1)
  const rest = await c.patientTimeline(doc, patient, { limit: 1, cursor: first.nextCursor })
  assert.equal(rest.items.length, 1)
  assert.notEqual(rest.items[0].id, first.items[0].id)
})

test('latest vitals and observations across the care team', async () => {
  const { c, doc, patient } = await charted()
  await c.recordEntry(doc, patient, weight('70'))
  const latest = await c.recordEntry(doc, patient, weight('71'))
  assert.deepEqual((await c.latestVitals(doc, patient)).items.map((e) => e.id), [latest.id])
  const across = await c.observationsAcrossPatients(doc, { code: { system: LOINC, code: BODY_WEIGHT } })
  assert.equal(across.items.length, 2)
})

test('billing sees no observations and the front desk nothing', async () => {
  const { c, doc, patient } = await charted()
  await c.recordEntry(doc, patient, weight('70'))
  assert.deepEqual((await c.patientTimeline(actor('billing'), patient)).items, [])
  await rejects(c.patientTimeline(actor('front_desk'), patient), 'forbidden')
})
