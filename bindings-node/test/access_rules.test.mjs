// Issue 10 through the Node binding: masking on merge paths, search filters
// on hidden fields, FHIR import under the booking rules (and migration),
// one rule for merged records, another patient's appointment id, closed
// cancellation reasons and references that must exist. The rules are
// core's; these tests pin what JavaScript hosts see.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { newId } from '../index.mjs'
import { actor, berlin, clinic, details, registered, rejects, schedule, system } from '../test-support/helpers.mjs'

async function world() {
  const c = await clinic()
  const sys = system()
  const desk = actor('front_desk')
  const admin = actor('admin')
  const { practitioner: doc, visitType: visit } = await schedule(c, sys)
  const ann = await registered(c, desk)
  const bob = await registered(c, desk, details('Lindqvist', 'Sven', '1975-11-30'))
  const booking = (patient, time) => ({ patient: patient.id, practitioner: doc.id, visitType: visit.id, start: berlin(time) })
  // A FHIR resource is JSON: its instants are text.
  const text = (at) => (at instanceof Date ? at.toISOString() : at)
  const resource = (patient, start, end) => ({
    resourceType: 'Appointment',
    status: 'booked',
    start: text(start),
    end: text(end),
    participant: [
      { actor: { reference: `Patient/${patient.id}`, display: 'Amara Okafor' }, status: 'accepted' },
      { actor: { reference: `Practitioner/${doc.id}` }, status: 'accepted' },
    ],
  })
  return { c, sys, desk, admin, doc, visit, ann, bob, booking, resource }
}

test('an admin sees only names and identifiers of a merged record', async () => {
  const { c, desk, admin } = await world()
  const a = await registered(c, desk, details('Twin', 'Tess', '1975-06-15'))
  const b = await registered(c, desk, details('Twin', 'Tess', '1975-06-15'))
  const [candidate] = await c.findDuplicates(admin, a.id, 10)
  assert.equal(candidate.patient.id, b.id)
  assert.equal(candidate.patient.details.birthDate, undefined)
  assert.deepEqual(candidate.patient.details.telecom, [])
  assert.equal(candidate.score.birthDate.similarity, undefined)
  const merge = await c.mergePatients(admin, b.id, b.version, a.id, a.version)
  assert.equal(merge.mergedBefore.details.birthDate, undefined)
  assert.deepEqual(merge.mergedBefore.details.names[0].family, 'Twin')
})

test('a search filter on a field the actor may not see is forbidden naming it', async () => {
  const { c } = await world()
  const err = await rejects(c.searchPatients(actor('billing'), { phone: '+1 555 0100' }), 'forbidden')
  assert.deepEqual(err.reason.fields, ['phone'])
  assert.equal((await c.searchPatients(actor('front_desk'), { phone: '+1 555 0100' })).items.length, 2)
})

test('an import obeys the booking rules; a migration needs appointment.migrate and is flagged', async () => {
  const { c, sys, desk, admin, ann, booking, resource, visit } = await world()
  const me = actor('patient', { patient: ann.id })
  const booked = await rejects(c.bookAppointment(me, booking(ann, '10:10')), 'validation')
  const imported = await rejects(
    c.importAppointmentFhir(me, { resource: resource(ann, berlin('10:10'), berlin('10:40')), visitType: visit.id }),
    'validation',
  )
  assert.deepEqual(imported.fields, booked.fields)
  const long = await rejects(
    c.importAppointmentFhir(me, { resource: resource(ann, berlin('10:00'), berlin('23:00')), visitType: visit.id }),
    'validation',
  )
  assert.deepEqual(long.fields.map((f) => [f.field, f.code]), [['end', 'out_of_range']])
  const old = { resource: resource(ann, '2013-12-10T09:10:00Z', '2013-12-10T10:00:00Z'), visitType: visit.id, migration: true }
  const denied = await rejects(c.importAppointmentFhir(desk, old), 'forbidden')
  assert.equal(denied.reason.permission, 'appointment.migrate')
  const kept = await c.importAppointmentFhir(admin, old)
  assert.deepEqual(kept.start, new Date('2013-12-10T09:10:00Z'))
  const [entry] = (await c.auditLog(sys, { actor: admin.id })).filter((e) => e.subject === `appointment:${kept.id}`)
  assert.equal(entry.action, 'appointment.migrate')
  assert.ok(entry.reason.endsWith('booking rules skipped (migration)'), entry.reason)
})

test('a merged record takes no new bookings or moves, but its appointments can be cancelled', async () => {
  const { c, sys, desk, ann, bob, booking } = await world()
  const a = await c.bookAppointment(desk, booking(ann, '10:00'))
  await c.mergePatients(sys, bob.id, bob.version, ann.id, ann.version)
  const moved = await rejects(c.rescheduleAppointment(desk, a.id, a.version, { start: berlin('11:00') }), 'conflict')
  assert.equal(moved.detail.kind, 'invalid_state')
  await rejects(c.bookAppointment(desk, booking(ann, '12:00')), 'conflict')
  const cancelled = await c.cancelAppointment(desk, a.id, a.version, { reason: 'pat-mv' })
  assert.equal(cancelled.cancellation.reason, 'pat-mv')
})

test('a double booking names the other appointment only to who may read it', async () => {
  const { c, desk, ann, bob, booking } = await world()
  const anns = await c.bookAppointment(desk, booking(ann, '10:00'))
  const bobLogin = actor('patient', { patient: bob.id })
  const hidden = await rejects(c.bookAppointment(bobLogin, booking(bob, '10:00')), 'double_booking')
  assert.equal(hidden.resource, 'practitioner')
  assert.ok(!('appointment' in hidden), 'no id of another patient\'s appointment')
  assert.ok(!hidden.message.includes(anns.id))
  const shown = await rejects(c.bookAppointment(desk, booking(bob, '10:00')), 'double_booking')
  assert.equal(shown.appointment, anns.id)
})

test('cancellation reasons are FHIR codes: free text is refused and never reaches events', async () => {
  const { c, sys, desk, ann, booking } = await world()
  const a = await c.bookAppointment(desk, booking(ann, '10:00'))
  await rejects(c.cancelAppointment(desk, a.id, a.version, { reason: 'moved-to-ohio' }), 'validation')
  await c.cancelAppointment(desk, a.id, a.version, { reason: 'pat-mv', note: 'moved to ohio' })
  const events = (await c.eventsAfter(sys, [], 100)).filter((e) => e.kind === 'appointment.cancelled')
  assert.deepEqual(events.map((e) => [e.schemaVersion, e.payload.reason]), [[2, 'pat-mv']])
  assert.ok(!JSON.stringify(events).includes('ohio'))
})

test('assigning an unregistered practitioner is not_found naming the field', async () => {
  const { c, sys, admin, ann, doc } = await world()
  const err = await rejects(c.assignCareTeam(admin, ann.id, newId()), 'not_found')
  assert.deepEqual([err.entity, err.field], ['practitioner', 'practitioner'])
  assert.deepEqual(await c.careTeam(admin, ann.id), [])
  assert.equal((await c.assignCareTeam(admin, ann.id, doc.id)).practitioner, doc.id)
  const lookup = await rejects(c.getPatient(sys, newId()), 'not_found')
  assert.equal(lookup.field, undefined, 'a plain lookup names no field')
})
