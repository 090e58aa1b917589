// Scheduling through the binding: practitioners, rooms, visit types, free
// slots, appointments on the FHIR life cycle, series, access and reminders.
// The rules live in core; these tests read as the JavaScript contract.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { CarebaseError } from '../index.mjs'
import { actor, berlin, clinic, details, fhirExample, registered, rejects, schedule, system } from '../test-support/helpers.mjs'

// `berlin('10:00')` is 10:00 in Berlin on Monday 2027-03-01 (CET, 09:00Z);
// `berlin('10:00', 2)` the same time two Mondays later.
const wholeMonday = { from: '2027-03-01T00:00:00Z', to: '2027-03-02T00:00:00Z' }
const spring = { from: '2027-02-01T00:00:00Z', to: '2027-04-01T00:00:00Z' }

/** A clinic with one practitioner open Mondays 09:00–17:00 (30-minute grid),
 *  one room, a 30-minute visit type with two reminders, and two patients. */
async function scheduling(options) {
  const c = await clinic(options)
  const sys = system()
  const desk = actor('front_desk')
  const { practitioner: doc, visitType: visit } = await schedule(c, sys)
  const room = await c.addResource(sys, { kind: 'room', name: 'Room 1', timeZone: 'Europe/Berlin' })
  const patient = await registered(c, desk)
  const other = await registered(c, desk, details('Lindqvist', 'Sven', '1975-11-30'))
  const book = (who, time, extra = {}) =>
    c.bookAppointment(who, {
      patient: patient.id,
      practitioner: doc.id,
      visitType: visit.id,
      start: berlin(time),
      ...extra,
    })
  return { c, sys, desk, doc, room, visit, patient, other, book }
}

test('practitioners, rooms and visit types are defined, read and listed', async () => {
  const { c, sys, desk, doc, room, visit } = await scheduling()
  assert.equal(doc.version, 1)
  assert.equal(doc.active, true)
  assert.equal(doc.timeZone, 'Europe/Berlin')
  // Local times come back in core's form, HH:MM:SS (HH:MM is accepted).
  assert.deepEqual(doc.availability, {
    weekly: [{ weekday: 'monday', start: '09:00:00', end: '17:00:00' }],
    exceptions: [],
    timeOff: [],
    slotMinutes: 30,
  })
  assert.deepEqual(await c.getPractitioner(desk, doc.id), doc)
  assert.deepEqual(await c.listPractitioners(desk), [doc])
  assert.deepEqual(room, { id: room.id, version: 1, kind: 'room', name: 'Room 1', timeZone: 'Europe/Berlin', active: true })
  assert.deepEqual(await c.listResources(desk), [room])
  assert.equal(visit.durationMinutes, 30)
  assert.equal(visit.bufferBeforeMinutes, 0)
  assert.deepEqual(visit.reminderOffsetsMinutes, [2880, 120])
  assert.deepEqual(await c.listVisitTypes(desk), [visit])
  await rejects(c.addPractitioner(desk, { name: 'X', timeZone: 'Europe/Berlin' }), 'forbidden')
  const bad = await rejects(c.addPractitioner(sys, { name: 'X', timeZone: 'Mars/Olympus' }), 'validation')
  assert.ok(bad.fields.some((f) => f.field === 'time_zone'), JSON.stringify(bad.fields))
})

test('a practitioner can be added under an id the host already uses', async () => {
  const { c, sys } = await scheduling()
  const id = '0190a6a0-0000-7000-8000-000000000001'
  const p = await c.addPractitioner(sys, { id, name: 'Dr Known', timeZone: 'UTC' })
  assert.equal(p.id, id)
  assert.deepEqual(p.availability.weekly, [])
})

test('setAvailability replaces the hours at the expected version', async () => {
  const { c, sys, doc } = await scheduling()
  const updated = await c.setAvailability(sys, doc.id, 1, {
    weekly: [{ weekday: 'tuesday', start: '08:30', end: '12:00', validFrom: '2027-01-01' }],
    exceptions: [{ date: '2027-03-09', extraHours: { start: '14:00', end: '15:00' } }],
    timeOff: [{ start: '2027-04-01T00:00:00Z', end: '2027-04-08T00:00:00Z', reason: 'conference' }],
    slotMinutes: 15,
    maxPerDay: 8,
  })
  assert.equal(updated.version, 2)
  assert.deepEqual(updated.availability, {
    weekly: [{ weekday: 'tuesday', start: '08:30:00', end: '12:00:00', validFrom: '2027-01-01' }],
    exceptions: [{ date: '2027-03-09', extraHours: { start: '14:00:00', end: '15:00:00' } }],
    timeOff: [{ start: new Date('2027-04-01T00:00:00Z'), end: new Date('2027-04-08T00:00:00Z'), reason: 'conference' }],
    slotMinutes: 15,
    maxPerDay: 8,
  })
  const stale = await rejects(c.setAvailability(sys, doc.id, 1, { slotMinutes: 15 }), 'conflict')
  assert.equal(stale.detail.kind, 'stale_version')
  const badTime = await rejects(
    c.setAvailability(sys, doc.id, 2, { weekly: [{ weekday: 'monday', start: '9am', end: '10:00' }], slotMinutes: 15 }),
    'validation',
  )
  // A time that does not parse is invalid_format at its argument's path, as in every host.
  assert.deepEqual(badTime.fields.map((f) => [f.field, f.code]), [['availability.weekly[0].start', 'invalid_format']])
})

test('free slots page through the day with nextCursor', async () => {
  const { c, desk, doc, visit } = await scheduling()
  const query = { visitType: visit.id, practitioners: [doc.id], ...wholeMonday, limit: 5 }
  const first = await c.findFreeSlots(desk, query)
  assert.equal(first.slots.length, 5)
  assert.deepEqual(first.slots[0], { practitioner: doc.id, start: berlin('09:00'), end: berlin('09:30') })
  assert.equal(typeof first.nextCursor, 'string')
  const starts = first.slots.map((s) => s.start)
  let cursor = first.nextCursor
  while (cursor) {
    const page = await c.findFreeSlots(desk, { ...query, cursor })
    starts.push(...page.slots.map((s) => s.start))
    cursor = page.nextCursor
  }
  assert.equal(starts.length, 16)
  assert.deepEqual(starts[15], berlin('16:30'))
  assert.equal(new Set(starts).size, 16)
  const bad = await rejects(c.findFreeSlots(desk, { ...query, cursor: 'not-a-cursor' }), 'validation')
  assert.equal(bad.fields[0].field, 'cursor')
})

test('booking takes a free slot', async () => {
  const { c, desk, doc, visit, patient, book } = await scheduling()
  const a = await book(desk, '10:00', { note: 'bring results' })
  assert.equal(a.status, 'booked')
  assert.equal(a.version, 1)
  assert.equal(a.patient, patient.id)
  assert.equal(a.practitioner, doc.id)
  assert.equal(a.visitType, visit.id)
  assert.deepEqual(a.start, berlin('10:00'))
  assert.deepEqual(a.end, berlin('10:30'))
  assert.equal(a.bookedBy, desk.id)
  assert.equal(a.note, 'bring results')
  assert.deepEqual(a.reschedules, [])
  assert.deepEqual(a.reminders.map((r) => r.offsetMinutes), [2880, 120])
  assert.deepEqual(a.reminders[1].dueAt, berlin('08:00'))
  assert.deepEqual(await c.getAppointment(desk, a.id), a)
  const page = await c.findFreeSlots(desk, { visitType: visit.id, practitioners: [doc.id], ...wholeMonday, limit: 100 })
  assert.ok(!page.slots.some((s) => s.start.getTime() === a.start.getTime()))
})

test('booking an occupied slot rejects with double_booking naming the first appointment', async () => {
  const { desk, other, book } = await scheduling()
  const first = await book(desk, '10:00')
  const err = await rejects(book(desk, '10:00', { patient: other.id }), 'double_booking')
  assert.ok(err instanceof CarebaseError)
  assert.equal(err.resource, 'practitioner')
  assert.equal(err.appointment, first.id)
  assert.ok(!err.message.includes('Lindqvist'))
})

test('a room booked twice names the room', async () => {
  const { c, sys, desk, room, visit, other, book } = await scheduling()
  const second = await c.addPractitioner(sys, {
    name: 'Dr Braun',
    timeZone: 'Europe/Berlin',
    availability: { weekly: [{ weekday: 'monday', start: '09:00', end: '17:00' }], slotMinutes: 30 },
  })
  const first = await book(desk, '11:00', { room: room.id })
  assert.equal(first.room, room.id)
  const err = await rejects(
    c.bookAppointment(desk, { patient: other.id, practitioner: second.id, room: room.id, visitType: visit.id, start: berlin('11:00') }),
    'double_booking',
  )
  assert.deepEqual([err.resource, err.appointment], ['room', first.id])
})

test('a start outside the hours is a validation error on start', async () => {
  const { book, desk } = await scheduling()
  const err = await rejects(book(desk, '07:00'), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['start', 'outside_hours']])
})

test('rescheduling moves the appointment and keeps where it was', async () => {
  const { c, desk, doc, book } = await scheduling()
  const a = await book(desk, '10:00')
  const moved = await c.rescheduleAppointment(desk, a.id, 1, { start: berlin('14:00') })
  assert.equal(moved.version, 2)
  assert.deepEqual(moved.start, berlin('14:00'))
  assert.equal(moved.reschedules.length, 1)
  const [was] = moved.reschedules
  assert.deepEqual([was.fromStart, was.fromEnd, was.fromPractitioner, was.by], [a.start, a.end, doc.id, desk.id])
  assert.equal(was.fromRoom, undefined)
  const stale = await rejects(c.rescheduleAppointment(desk, a.id, 1, { start: berlin('15:00') }), 'conflict')
  assert.equal(stale.detail.kind, 'stale_version')
  // The old time is free again.
  assert.deepEqual((await book(desk, '10:00')).start, berlin('10:00'))
})

test('cancelling records the reason; far ahead it is not late', async () => {
  const { c, desk, book } = await scheduling()
  const a = await book(desk, '10:00')
  const cancelled = await c.cancelAppointment(desk, a.id, 1, { reason: 'pat', note: 'moved away' })
  assert.equal(cancelled.status, 'cancelled')
  assert.equal(cancelled.version, 2)
  assert.deepEqual(
    { ...cancelled.cancellation, at: undefined },
    { reason: 'pat', note: 'moved away', late: false, by: desk.id, at: undefined },
  )
  assert.deepEqual(cancelled.reminders, [])
  await rejects(c.cancelAppointment(desk, a.id, 2, { reason: 'pat' }), 'validation')
})

test('a cancellation inside the lateCancellationWindow setting is flagged late', async () => {
  // A window of 2000 days covers the whole booking horizon used here.
  const { c, desk, book } = await scheduling({ settings: { lateCancellationWindow: 2000 * 24 * 60 * 60_000 } })
  const a = await book(desk, '10:00')
  const cancelled = await c.cancelAppointment(desk, a.id, 1, { reason: 'prov' })
  assert.equal(cancelled.cancellation.late, true)
  assert.equal(cancelled.cancellation.note, undefined)
})

test('status moves along the life cycle; a bad move names both statuses', async () => {
  const { c, desk, book } = await scheduling()
  const a = await book(desk, '10:00')
  const arrived = await c.changeAppointmentStatus(desk, a.id, 1, 'arrived')
  assert.equal(arrived.status, 'arrived')
  const done = await c.changeAppointmentStatus(desk, a.id, 2, 'fulfilled')
  assert.deepEqual([done.status, done.version], ['fulfilled', 3])

  const b = await book(desk, '11:00')
  const err = await rejects(c.changeAppointmentStatus(desk, b.id, 1, 'fulfilled'), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['status', 'invalid_transition']])
  assert.match(err.fields[0].message, /booked to fulfilled/)
  await rejects(c.changeAppointmentStatus(desk, b.id, 1, 'sleeping'), 'validation')
})

test('a series of three is booked at once, a week apart, in one series', async () => {
  const { c, desk, doc, visit, patient } = await scheduling()
  const series = await c.bookSeries(desk, {
    first: { patient: patient.id, practitioner: doc.id, visitType: visit.id, start: berlin('09:30') },
    recurrence: { everyWeeks: 1, count: 3 },
  })
  assert.deepEqual(
    series.map((a) => a.start),
    [berlin('09:30'), berlin('09:30', 1), berlin('09:30', 2)],
  )
  assert.equal(typeof series[0].series, 'string')
  assert.ok(series.every((a) => a.series === series[0].series))
})

test('a series that collides anywhere writes nothing', async () => {
  const { c, desk, doc, visit, patient, other } = await scheduling()
  const blocker = await c.bookAppointment(desk, {
    patient: other.id,
    practitioner: doc.id,
    visitType: visit.id,
    start: berlin('09:30', 2),
  })
  const err = await rejects(
    c.bookSeries(desk, {
      first: { patient: patient.id, practitioner: doc.id, visitType: visit.id, start: berlin('09:30') },
      recurrence: { everyWeeks: 1, count: 3 },
    }),
    'validation',
  )
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['occurrences[2].start', 'taken']])
  assert.deepEqual(await c.listAppointments(desk, { patient: patient.id, ...spring }), [])
  assert.deepEqual((await c.listAppointments(desk, { practitioner: doc.id, ...spring })).map((a) => a.id), [blocker.id])
})

test('appointments are listed by patient and by practitioner', async () => {
  const { c, desk, doc, patient, other, book } = await scheduling()
  const a = await book(desk, '09:00')
  const b = await book(desk, '10:00', { patient: other.id })
  const c2 = await book(desk, '11:00')
  await c.cancelAppointment(desk, c2.id, 1, { reason: 'pat' })
  const mine = await c.listAppointments(desk, { patient: patient.id, ...spring })
  assert.deepEqual(mine.map((x) => x.id), [a.id])
  const withInactive = await c.listAppointments(desk, { patient: patient.id, ...spring, includeInactive: true })
  assert.deepEqual(withInactive.map((x) => x.id), [a.id, c2.id])
  const day = await c.listAppointments(desk, { practitioner: doc.id, ...spring })
  assert.deepEqual(day.map((x) => x.id), [a.id, b.id])
  const limited = await c.listAppointments(desk, { practitioner: doc.id, ...spring, limit: 1 })
  assert.deepEqual(limited.map((x) => x.id), [a.id])
  const none = await rejects(c.listAppointments(desk, { ...spring }), 'validation')
  assert.equal(none.fields[0].field, 'patient')
})

test('a patient books their own appointment but not another patient\'s', async () => {
  const { patient, other, book } = await scheduling()
  const me = actor('patient', { patient: patient.id })
  const mine = await book(me, '09:00')
  assert.equal(mine.bookedBy, me.id)
  const err = await rejects(book(me, '10:00', { patient: other.id }), 'forbidden')
  assert.equal(err.reason.permission, 'appointment.book')
})

test('a practitioner sees their own schedule, not another practitioner\'s', async () => {
  const { c, sys, desk, doc, book } = await scheduling()
  const a = await book(desk, '09:00')
  const colleague = await c.addPractitioner(sys, { name: 'Dr Braun', timeZone: 'Europe/Berlin' })
  const me = actor('practitioner', { practitioner: doc.id })
  assert.deepEqual((await c.listAppointments(me, { practitioner: doc.id, ...spring })).map((x) => x.id), [a.id])
  const err = await rejects(c.listAppointments(me, { practitioner: colleague.id, ...spring }), 'forbidden')
  assert.equal(err.reason.permission, 'calendar.read')
  assert.ok(err.reason.steps.some((s) => s.relationship === 'own_schedule'))
  const decision = await c.explainAccess(me, 'calendar.read')
  assert.equal(decision.permission, 'calendar.read')
})

test('due reminders are listed until marked sent, and a reminder is marked once', async () => {
  const { c, sys, desk, book } = await scheduling()
  const a = await book(desk, '10:00')
  const due = await c.dueReminders(sys, spring.from, spring.to, 10)
  assert.deepEqual(
    due.map((r) => [r.appointment, r.offsetMinutes, r.dueAt]),
    [
      [a.id, 2880, new Date('2027-02-27T09:00:00Z')],
      [a.id, 120, berlin('08:00')],
    ],
  )
  assert.deepEqual([due[0].patient, due[0].practitioner, due[0].start], [a.patient, a.practitioner, a.start])
  await c.markReminderSent(sys, a.id, 2880)
  const again = await rejects(c.markReminderSent(sys, a.id, 2880), 'conflict')
  assert.ok(again.detail)
  assert.deepEqual((await c.dueReminders(sys, spring.from, spring.to, 10)).map((r) => r.offsetMinutes), [120])
  const read = await c.getAppointment(desk, a.id)
  assert.ok(read.reminders.find((r) => r.offsetMinutes === 2880).sentAt instanceof Date)
  await rejects(c.dueReminders(desk, spring.from, spring.to, 10), 'forbidden')
})

test('booking, rescheduling, status changes and cancelling reach the outbox', async () => {
  const { c, sys, desk, patient, book } = await scheduling()
  const a = await book(desk, '10:00')
  const moved = await c.rescheduleAppointment(desk, a.id, 1, { start: berlin('11:00') })
  const arrived = await c.changeAppointmentStatus(desk, a.id, moved.version, 'noshow')
  const b = await book(desk, '12:00')
  await c.cancelAppointment(desk, b.id, 1, { reason: 'pat' })
  const events = (await c.pollEvents(sys, 'calendar-relay', 100)).filter((e) => e.kind.startsWith('appointment.'))
  assert.deepEqual(events.map((e) => e.kind), [
    'appointment.booked',
    'appointment.rescheduled',
    'appointment.status_changed',
    'appointment.booked',
    'appointment.cancelled',
  ])
  assert.ok(events.every((e) => e.patient === patient.id))
  assert.equal(events[0].payload.appointmentId, a.id)
  assert.equal(events[2].payload.to, 'noshow')
  assert.equal(events[2].idempotencyKey, `appointment.status_changed:${a.id}:${arrived.version}`)
  assert.equal(events[4].payload.reason, 'pat')
  assert.ok(!JSON.stringify(events).includes('Okafor'))
})

// ---- FHIR R4 JSON -----------------------------------------------------------

/** The scheduling clinic plus a `followup` visit type (the official
 *  Appointment example's appointmentType code is FOLLOWUP) and the import of
 *  that example, with each of its Patient, Practitioner and Location
 *  references mapped to the carebase ids. */
async function fhirScheduling() {
  const s = await scheduling()
  const followup = await s.c.addVisitType(s.sys, {
    code: 'followup',
    name: 'Follow-up',
    durationMinutes: 30,
    bufferAfterMinutes: 15,
    horizonDays: 60,
  })
  const references = {
    'Patient/example': s.patient.id,
    'Practitioner/example': s.doc.id,
    'Location/1': s.room.id,
  }
  // The 2013 examples are records from elsewhere: migration imports.
  const fhirImport = (resource = fhirExample('Appointment-example.json')) => ({ resource, references, migration: true })
  return { ...s, followup, fhirImport }
}

test('an imported FHIR Appointment is booked for the mapped patient, practitioner, room and visit type', async () => {
  const { c, sys, desk, doc, room, patient, followup, fhirImport } = await fhirScheduling()
  const a = await c.importAppointmentFhir(sys, fhirImport())
  assert.deepEqual(
    [a.status, a.patient, a.practitioner, a.room, a.visitType],
    ['booked', patient.id, doc.id, room.id, followup.id],
  )
  assert.deepEqual([a.start, a.end, a.blockedUntil], ['2013-12-10T09:00:00Z', '2013-12-10T11:00:00Z', '2013-12-10T11:15:00Z'].map((t) => new Date(t)))
  assert.equal(a.fhirExtra.source_id, 'example')
  assert.deepEqual(await c.getAppointment(desk, a.id), a)
})

test('exporting an imported appointment gives back the FHIR resource but for its id', async () => {
  const { c, sys, fhirImport } = await fhirScheduling()
  const original = fhirExample('Appointment-example.json')
  const a = await c.importAppointmentFhir(sys, fhirImport(original))
  const exported = await c.exportAppointmentFhir(sys, a.id)
  assert.deepEqual(exported, { ...original, id: a.id })
})

test('a practitioner\'s hours export as a FHIR Schedule', async () => {
  const { c, desk, doc } = await fhirScheduling()
  const schedule = await c.exportScheduleFhir(desk, doc.id)
  assert.equal(schedule.resourceType, 'Schedule')
  assert.equal(schedule.id, doc.id)
  assert.deepEqual(schedule.actor, [{ reference: `Practitioner/${doc.id}`, display: 'Dr Weber' }])
  await rejects(c.exportScheduleFhir(desk, '0190a6a0-0000-7000-8000-000000000009'), 'not_found')
})

test('free slots export as a FHIR searchset Bundle of Slots with a next link', async () => {
  const { c, desk, doc, visit } = await fhirScheduling()
  const query = { visitType: visit.id, practitioners: [doc.id], ...wholeMonday, limit: 4 }
  const page = await c.findFreeSlots(desk, query)
  const bundle = await c.exportFreeSlotsFhir(desk, query)
  assert.deepEqual([bundle.resourceType, bundle.type], ['Bundle', 'searchset'])
  assert.deepEqual(bundle.link, [{ relation: 'next', url: `?cursor=${page.nextCursor}` }])
  assert.equal(bundle.entry.length, 4)
  assert.ok(bundle.entry.every((e) => e.resource.resourceType === 'Slot' && e.resource.status === 'free'))
  assert.deepEqual(
    bundle.entry.map((e) => [new Date(e.resource.start), new Date(e.resource.end), e.resource.schedule.reference]),
    page.slots.map((s) => [s.start, s.end, `Schedule/${doc.id}`]),
  )
})

test('an imported Appointment without start is a validation error naming start', async () => {
  const { c, sys, doc, fhirImport } = await fhirScheduling()
  const { start, ...noStart } = fhirExample('Appointment-example.json')
  assert.equal(typeof start, 'string')
  const err = await rejects(c.importAppointmentFhir(sys, fhirImport(noStart)), 'validation')
  assert.ok(err.fields.some((f) => f.field === 'start' && f.code === 'required'), JSON.stringify(err.fields))
  assert.deepEqual(await c.listAppointments(sys, { practitioner: doc.id, from: '2013-01-01T00:00:00Z', to: '2014-01-01T00:00:00Z' }), [])
})
