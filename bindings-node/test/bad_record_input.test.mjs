// Bad input to every health-record operation, one row each: a value core
// refuses, and core's stable answer (the error's code and the field it
// names; for `not_found` the field and the entity). The same rows run in
// Python (tests/test_bad_record_input.py) and Kotlin (BadRecordInputTest.kt);
// errors.test.mjs throws many more values at every method and checks the code.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { actor, berlin, clinic, registered, schedule, system } from '../test-support/helpers.mjs'

const LOINC = 'http://loinc.org'
const ELSEWHERE = '0190a000-0000-7000-8000-0000000000ff'
const snomed = (code) => ({ system: 'http://snomed.info/sct', code })
const weight = (unit = 'kg') => ({
  code: { system: LOINC, code: '29463-7' }, category: 'vital-signs', status: 'final',
  value: { type: 'quantity', value: '70', unit },
})
const weightBody = (unit) => ({ kind: 'observation', ...weight(unit) })

async function chart() {
  const c = await clinic()
  const sys = system()
  const desk = actor('front_desk')
  const { practitioner: doc, visitType } = await schedule(c, sys)
  const p = await registered(c, desk)
  await c.assignCareTeam(actor('admin'), p.id, doc.id)
  const login = actor('practitioner', { practitioner: doc.id })
  const at = new Date(Date.now() - 3600_000)
  const e = await c.recordEntry(login, p.id, { effectiveAt: at, body: weightBody() })
  const enc = await c.startEncounter(login, p.id, { class: 'ambulatory', status: 'in-progress', startedAt: at })
  const a = await c.bookAppointment(desk, { patient: p.id, practitioner: doc.id, visitType: visitType.id, start: berlin('10:00') })
  return { c, desk, login, doc, p, e, enc, a, at }
}

const dayBefore = (at) => new Date(at.getTime() - 86_400_000)

function rows({ c, desk, login: who, doc, p, e, enc, a, at }) {
  const rx = (refills = 0) => ({ medication: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '308182' },
    prescriber: doc.id, status: 'active', refills })
  return [
    ['recordEntry', () => c.recordEntry(who, p.id, { effectiveAt: at, body: weightBody('cm') }), 'validation', 'body.value.unit', 'invalid_unit'],
    ['changeEntryStatus', () => c.changeEntryStatus(who, p.id, e.id, 1, 'maybe'), 'validation', 'status', 'unknown_code'],
    ['amendEntry', () => c.amendEntry(who, p.id, e.id, 1, weightBody(), ' '), 'validation', 'reason', 'required'],
    ['retractEntry', () => c.retractEntry(who, p.id, e.id, 1, ''), 'validation', 'reason', 'required'],
    ['patientTimeline', () => c.patientTimeline(who, p.id, { limit: 0 }), 'validation', 'limit', 'out_of_range'],
    ['entryHistory', () => c.entryHistory(who, p.id, 'not-a-uuid'), 'validation', 'entry', 'invalid_format'],
    ['latestVitals', () => c.latestVitals(who, 'not-a-uuid'), 'validation', 'patient', 'invalid_format'],
    ['latestObservations', () => c.latestObservations(who, p.id, [{ system: '', code: '1' }]), 'validation', 'codes[0].system', 'out_of_range'],
    ['observationsAcrossPatients', () => c.observationsAcrossPatients(who, { code: { system: LOINC, code: '29463-7' }, limit: 0 }),
      'validation', 'limit', 'out_of_range'],
    ['recordCondition', () => c.recordCondition(who, p.id, at, null,
      { code: snomed(''), clinicalStatus: 'active', verificationStatus: 'confirmed' }), 'validation', 'body.code.code', 'required'],
    ['recordAllergy', () => c.recordAllergy(who, p.id, at, null, { substance: { system: '', code: '7980' }, clinicalStatus: 'active' }),
      'validation', 'body.substance.system', 'required'],
    ['recordProcedure', () => c.recordProcedure(who, p.id, at, null, { code: snomed('80146002'), status: 'completed', endedAt: dayBefore(at) }),
      'validation', 'body.ended_at', 'before_start'],
    ['recordImmunization', () => c.recordImmunization(who, p.id, at, null,
      { vaccine: { system: 'http://hl7.org/fhir/sid/cvx', code: '140' }, status: 'completed', lot: '' }), 'validation', 'body.lot', 'required'],
    ['prescribe', () => c.prescribe(who, p.id, at, null, rx(1000)), 'validation', 'body.refills', 'out_of_range'],
    ['changePrescriptionStatus', () => c.changePrescriptionStatus(who, p.id, e.id, 1, 'on-hold'), 'not_found', 'entry', 'prescription'],
    ['renewPrescription', () => c.renewPrescription(who, p.id, e.id, 1, 'active', rx()), 'validation', 'ends_as', 'out_of_range'],
    ['writeNote', () => c.writeNote(who, p.id, at, null, null, ' '), 'validation', 'body.text', 'required'],
    ['importEntryFhir', () => c.importEntryFhir(who, p.id, { resource: { resourceType: 'Claim' } }), 'validation', 'resourceType', 'wrong_resource_type'],
    ['exportEntryFhir', () => c.exportEntryFhir(who, p.id, ELSEWHERE), 'not_found', 'entry', 'entry'],
    ['startEncounter', () => c.startEncounter(who, p.id, { class: 'ambulatory', status: 'finished', startedAt: at }),
      'validation', 'encounter.status', 'out_of_range'],
    ['changeEncounterStatus', () => c.changeEncounterStatus(who, p.id, enc.id, -1, 'finished'), 'validation', 'expected_version', 'invalid_value'],
    ['finishEncounter', () => c.finishEncounter(who, p.id, enc.id, 1, dayBefore(at)), 'validation', 'ended_at', 'out_of_range'],
    ['cancelEncounter', () => c.cancelEncounter(who, p.id, enc.id, 1, ''), 'validation', 'reason', 'required'],
    ['checkInAppointment', () => c.checkInAppointment(desk, a.id, 1, { status: 'finished' }), 'validation', 'check_in.status', 'out_of_range'],
    ['recordObservation', () => c.recordObservation(who, p.id, at, null, weight('cm')), 'validation', 'observation.value.unit', 'invalid_unit'],
    ['recordLabReport', () => c.recordLabReport(who, p.id, at, null, { code: { system: LOINC, code: '51990-0' }, status: 'amended', results: [] }),
      'validation', 'status', 'out_of_range'],
    ['attachDocument', () => c.attachDocument(who, p.id, at, null, 'text/html', null, Buffer.from('<p>')),
      'validation', 'content_type', 'not_allowed'],
    ['readDocument', () => c.readDocument(who, p.id, e.id), 'not_found', 'entry', 'document'],
  ]
}

/** `[code, field, field code or entity]` of a rejection. */
async function answer(call) {
  try {
    await call()
  } catch (err) {
    if (err.code === 'validation') {
      assert.equal(err.fields.length, 1, JSON.stringify(err.fields))
      return [err.code, err.fields[0].field, err.fields[0].code]
    }
    return [err.code, err.field ?? '', err.entity ?? '']
  }
  return ['ok', '', '']
}

test('a bad value to each record operation is core\'s typed error naming its field', async () => {
  const world = await chart()
  const table = rows(world)
  const record = ['recordEntry', 'changeEntryStatus', 'amendEntry', 'retractEntry', 'patientTimeline', 'entryHistory',
    'latestVitals', 'latestObservations', 'observationsAcrossPatients', 'recordCondition', 'recordAllergy', 'recordProcedure',
    'recordImmunization', 'prescribe', 'changePrescriptionStatus', 'renewPrescription', 'writeNote', 'importEntryFhir',
    'exportEntryFhir', 'startEncounter', 'changeEncounterStatus', 'finishEncounter', 'cancelEncounter', 'checkInAppointment',
    'recordObservation', 'recordLabReport', 'attachDocument', 'readDocument']
  assert.deepEqual(table.map(([name]) => name), record)
  for (const [name, call, code, field, detail] of table) {
    assert.deepEqual(await answer(call), [code, field, detail], name)
  }
  assert.deepEqual((await world.c.entryHistory(world.login, world.p.id, world.e.id)).map((v) => v.version), [1])
})
