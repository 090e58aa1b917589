// FHIR R4 Patient import and export (core/tests/fhir_people/main.rs from Node).
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { actor, clinic, fhirExample, rejects } from '../test-support/helpers.mjs'

test('an imported example patient exports as it came, with the carebase id', async () => {
  const c = await clinic()
  const desk = actor('front_desk')
  const resource = fhirExample('Patient-example.json')
  const p = await c.importPatientFhir(desk, resource)
  assert.equal(p.details.names[0].family, 'Chalmers')
  assert.equal(p.fhirExtra.source_id, 'example', 'kept JSON crosses untouched')
  const exported = await c.exportPatientFhir(desk, p.id)
  assert.deepEqual(exported, { ...resource, id: p.id })
})

test('an import given a facility also gets an MRN', async () => {
  const c = await clinic()
  const p = await c.importPatientFhir(actor('front_desk'), fhirExample('Patient-example.json'), 'north')
  assert.equal(p.details.identifiers.at(-1).system, 'urn:carebase:mrn:north')
})

test('a refused import names the FHIR path and its code', async () => {
  const c = await clinic()
  const resource = { ...fhirExample('Patient-example.json'), birthDate: '2999-01-01' }
  const err = await rejects(c.importPatientFhir(actor('front_desk'), resource), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['birthDate', 'in_future']])
})

test('an export shows only what the actor may see', async () => {
  const c = await clinic()
  const p = await c.importPatientFhir(actor('front_desk'), fhirExample('Patient-example.json'))
  const exported = await c.exportPatientFhir(actor('billing'), p.id)
  assert.equal(exported.telecom, undefined)
  assert.equal(exported.text, undefined)
  assert.equal(exported.name[0].family, 'Chalmers')
})

test('an imported example practitioner exports as it came, with the carebase id', async () => {
  const c = await clinic()
  const admin = actor('admin')
  const resource = fhirExample('Practitioner-example.json')
  const p = await c.importPractitionerFhir(admin, resource, 'Europe/Amsterdam')
  assert.equal(p.timeZone, 'Europe/Amsterdam')
  assert.equal(p.fhirExtra.source_id, 'example', 'kept JSON crosses untouched')
  const exported = await c.exportPractitionerFhir(admin, p.id)
  assert.deepEqual(exported, { ...resource, id: p.id })
})

test('a refused practitioner import names each field and its code', async () => {
  const c = await clinic()
  const err = await rejects(
    c.importPractitionerFhir(actor('admin'), { resourceType: 'Practitioner' }, 'Mars/Olympus'),
    'validation',
  )
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]).sort(), [
    ['name', 'required'],
    ['time_zone', 'unknown_time_zone'],
  ])
})

test('a practitioner import needs scheduling rights', async () => {
  const c = await clinic()
  await rejects(c.importPractitionerFhir(actor('front_desk'), fhirExample('Practitioner-example.json'), 'UTC'), 'forbidden')
})
