// FHIR R4 in and out of the health record from Node (core/tests/record_fhir.rs):
// an official Observation imports and exports unchanged but its id, and a
// weight in centimetres is refused on its FHIR path; a DocumentReference brings
// its bytes inline and a clinician's export gives them back.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'

import { actor, clinic, details, fhirExample, practitioner, rejects } from '../test-support/helpers.mjs'

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

test('an official observation imports and exports unchanged but its id', async () => {
  const { c, doc, patient } = await charted()
  const original = fhirExample('Observation-example.json')
  const entry = await c.importEntryFhir(doc, patient, { resource: original, references: { 'Patient/example': patient } })
  assert.equal(entry.body.kind, 'observation')
  const exported = await c.exportEntryFhir(doc, patient, entry.id)
  assert.deepEqual(exported, { ...original, id: entry.id })
})

test('an imported weight in centimetres is refused on its fhir path', async () => {
  const { c, doc, patient } = await charted()
  const resource = fhirExample('Observation-example.json')
  resource.valueQuantity.code = 'cm'
  const err = await rejects(c.importEntryFhir(doc, patient, { resource, references: { 'Patient/example': patient } }), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['valueQuantity.code', 'invalid_unit']])
})

test('a document reference with its bytes exports unchanged with its data for a clinician', async () => {
  const { c, doc, patient } = await charted()
  const letter = Buffer.from('%PDF-1.7\n a referral letter \u0000\u00ff', 'latin1')
  const resource = {
    resourceType: 'DocumentReference',
    status: 'current',
    subject: { reference: 'Patient/p1' },
    date: '2013-04-02T09:30:00Z',
    description: 'Referral to cardiology',
    content: [{
      attachment: {
        contentType: 'application/pdf',
        data: letter.toString('base64'),
        size: letter.length,
        hash: createHash('sha1').update(letter).digest('base64'),
        title: 'Referral letter'
      }
    }]
  }
  const entry = await c.importEntryFhir(doc, patient, { resource, references: { 'Patient/p1': patient } })
  assert.equal(entry.body.kind, 'document')
  assert.deepEqual((await c.readDocument(doc, patient, entry.id)).bytes, letter)
  assert.deepEqual(await c.exportEntryFhir(doc, patient, entry.id), { ...resource, id: entry.id })
})
