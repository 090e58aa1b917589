// A struct handed as an array of its fields (what serde would read
// positionally) is refused by core's JSON door as `invalid_type` naming it
// (core/src/api/arguments/objects.rs, tagged.rs). The converter passes a value that is
// not an object on as given, so JavaScript reaches the door with the array.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { actor, clinic, registered, rejects } from '../test-support/helpers.mjs'

test('an actor handed as an array of its fields is invalid_type naming it', async () => {
  const c = await clinic()
  const desk = actor('front_desk')
  const p = await registered(c, desk)
  const err = await rejects(c.getPatient([desk.id, desk.roles], p.id), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['actor', 'invalid_type']])
})

test('a name handed as an array is invalid_type at its path and registers no one', async () => {
  const c = await clinic()
  const desk = actor('front_desk')
  const err = await rejects(c.registerPatient(desk, { details: { names: [[null, 'Secret', ['Ann']]] } }), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['details.names[0]', 'invalid_type']])
  assert.ok(!err.message.includes('Secret'), err.message)
  assert.deepEqual((await c.searchPatients(desk, { name: 'Secret' })).items, [])
})

test('an empty array is not a query left empty', async () => {
  const c = await clinic()
  const err = await rejects(c.searchPatients(actor('front_desk'), []), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['query', 'invalid_type']])
})

test('a code inside an entry body handed as an array is invalid_type at its path', async () => {
  const c = await clinic()
  const p = await registered(c, actor('front_desk'))
  const body = { kind: 'observation', code: ['http://loinc.org', '29463-7'], category: 'vital-signs', status: 'final' }
  const entry = { effectiveAt: new Date('2024-01-01T00:00:00Z'), body }
  const err = await rejects(c.recordEntry(actor('practitioner'), p.id, entry), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['entry.body.code', 'invalid_type']])
})
