// Registering many patients in one call (registerPatients): core/tests/register_patients.rs from Node.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { actor, clinic, details, rejects } from '../test-support/helpers.mjs'

test('a batch with one bad patient registers the others and refuses it with its field', async () => {
  const c = await clinic()
  const desk = actor('front_desk')
  const answer = await c.registerPatients(desk, [
    { details: details('Abara', 'Ann', '1980-01-01') },
    { details: details('Later', 'Ann', '3000-01-01') },
    { details: details('Bello', 'Ann', '1980-01-01') },
  ])
  assert.deepEqual([answer.registered, answer.refused], [2, 1])
  const [first, bad, last] = answer.answers
  assert.ok(first.patient && !first.refusal)
  assert.equal(last.patient.details.names[0].family, 'Bello')
  assert.equal(bad.patient ?? null, null)
  assert.equal(bad.refusal.code, 'validation')
  assert.deepEqual(bad.refusal.fields.map((f) => [f.field, f.code]), [['birth_date', 'in_future']])
  assert.equal(bad.refusal.error.code, 'validation')
  assert.equal((await c.getPatient(desk, first.patient.id)).id, first.patient.id)
})

test('an actor who may not register gets one forbidden for the batch', async () => {
  const c = await clinic()
  await rejects(c.registerPatients(actor('patient'), [{ details: details('Abara', 'Ann', '1980-01-01') }]), 'forbidden')
})

test('a list longer than the bound is refused whole, naming patients', async () => {
  const c = await clinic()
  const many = Array.from({ length: 1001 }, (_, i) => ({ details: details(`N${i}`, 'Ann', '1980-01-01') }))
  const err = await rejects(c.registerPatients(actor('front_desk'), many), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['patients', 'too_many']])
})
