// A practitioner's "my patients" (patientsOfPractitioner): core/tests/my_patients.rs from Node.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { newId } from '../index.mjs'
import { actor, clinic, details, practitioner, rejects, system } from '../test-support/helpers.mjs'

/** `count` patients on `doc`'s care team (and one on nobody's), ids sorted. */
async function withPatients(c, doc, count) {
  const admin = actor('admin')
  const desk = actor('front_desk')
  await c.addPractitioner(admin, { id: doc.practitioner, name: 'Dr Care', timeZone: 'UTC' })
  const ids = []
  for (let i = 0; i < count; i++) {
    const p = await c.registerPatient(desk, { details: details(`Mine${i}`, 'Ann', '1980-01-01') })
    await c.assignCareTeam(admin, p.id, doc.practitioner)
    ids.push(p.id)
  }
  await c.registerPatient(desk, { details: details('Nobodys', 'Ann', '1980-01-01') })
  return ids.sort()
}

test('a practitioner pages through their own patients', async () => {
  const c = await clinic()
  const doc = practitioner()
  const mine = await withPatients(c, doc, 3)
  const first = await c.patientsOfPractitioner(doc, doc.practitioner, { limit: 2 })
  assert.deepEqual(first.items.map((p) => p.id), mine.slice(0, 2))
  assert.ok(first.items.every((p) => p.hiddenFields.length === 0))
  const rest = await c.patientsOfPractitioner(doc, doc.practitioner, { limit: 2, cursor: first.nextCursor })
  assert.deepEqual(rest.items.map((p) => p.id), mine.slice(2))
  assert.equal(rest.nextCursor ?? null, null)
})

test('an admin sees only who the patients are', async () => {
  const c = await clinic()
  const doc = practitioner()
  await withPatients(c, doc, 1)
  const [seen] = (await c.patientsOfPractitioner(actor('admin'), doc.practitioner)).items
  assert.ok(seen.hiddenFields.includes('telecom'))
})

test('each listed patient is audited', async () => {
  const c = await clinic()
  const doc = practitioner()
  const mine = await withPatients(c, doc, 2)
  await c.patientsOfPractitioner(doc, doc.practitioner)
  const log = await c.auditLog(system(), { actor: doc.id })
  assert.deepEqual(log.map((e) => e.patient).sort(), mine)
  assert.ok(log.every((e) => e.action === 'care_team.patients'))
})

test("another practitioner's list is forbidden", async () => {
  const c = await clinic()
  const other = practitioner()
  await withPatients(c, other, 1)
  await rejects(c.patientsOfPractitioner(practitioner(), other.practitioner), 'forbidden')
})

test('an unknown practitioner is not found', async () => {
  const c = await clinic()
  const err = await rejects(c.patientsOfPractitioner(actor('admin'), newId()), 'not_found')
  assert.deepEqual([err.entity, err.field], ['practitioner', 'practitioner'])
})

test('a bad cursor is a validation error on cursor', async () => {
  const c = await clinic()
  const doc = practitioner()
  await withPatients(c, doc, 1)
  const err = await rejects(c.patientsOfPractitioner(doc, doc.practitioner, { cursor: 'nope' }), 'validation')
  assert.deepEqual(err.fields.map((f) => f.field), ['cursor'])
})

test('merged-away patients are never listed and inactive ones only on request', async () => {
  const c = await clinic()
  const doc = practitioner()
  const sys = system()
  const [kept, gone, quiet] = await Promise.all((await withPatients(c, doc, 3)).map((id) => c.getPatient(sys, id)))
  await c.mergePatients(sys, kept.id, kept.version, gone.id, gone.version)
  await c.deactivatePatient(sys, quiet.id, quiet.version)
  const today = await c.patientsOfPractitioner(doc, doc.practitioner)
  assert.deepEqual(today.items.map((p) => p.id), [kept.id])
  const everyone = await c.patientsOfPractitioner(doc, doc.practitioner, { includeInactive: true })
  assert.deepEqual(everyone.items.map((p) => p.id), [kept.id, quiet.id].sort())
})
