// Documents a host hands in are bounded by core before anything reads them:
// a FHIR resource nested, sized or listed past core's bounds, and a deep
// policy document, end in core's typed error naming where, never a crash, a
// hang or napi's unnamed argument error (issue 10, defects 1 and 11). The
// bounds are core's; these tests only use sizes far past them.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { open } from '../index.mjs'
import { actor, clinic, registered, rejects, schedule, system } from '../test-support/helpers.mjs'

/** `levels` arrays around `leaf`, built without recursion. */
function nested(levels, leaf) {
  let value = leaf
  for (let i = 0; i < levels; i++) value = [value]
  return value
}

async function world() {
  const c = await clinic()
  const sys = system()
  const { practitioner: doc, visitType: visit } = await schedule(c, sys)
  const patient = await registered(c, actor('front_desk'))
  const resource = (extension) => ({
    resourceType: 'Appointment',
    status: 'booked',
    start: '2027-03-01T08:00:00Z',
    end: '2027-03-01T08:30:00Z',
    participant: [
      { actor: { reference: `Patient/${patient.id}` } },
      { actor: { reference: `Practitioner/${doc.id}` } },
    ],
    extension,
  })
  const importing = (r) => c.importAppointmentFhir(sys, { resource: r, visitType: visit.id })
  const listed = () =>
    c.listAppointments(sys, { patient: patient.id, from: '2027-02-01T00:00:00Z', to: '2027-04-01T00:00:00Z' })
  return { c, sys, resource, importing, listed }
}

const fields = (err) => err.fields.map((f) => [f.field, f.code])

for (const depth of [100, 10_000, 100_000]) {
  test(`a FHIR resource nested ${depth} deep is a too_deep validation error naming resource`, async () => {
    const { resource, importing, listed } = await world()
    const err = await rejects(importing(resource(nested(depth, {}))), 'validation')
    assert.deepEqual(fields(err), [['resource', 'too_deep']])
    assert.deepEqual(await listed(), [])
  })
}

test('a FHIR resource that contains itself is a too_deep validation error, not a hang', async () => {
  const { resource, importing } = await world()
  const loop = {}
  loop.again = [loop]
  const err = await rejects(importing(resource(loop)), 'validation')
  assert.deepEqual(fields(err), [['resource', 'too_deep']])
})

test('a million-item FHIR array is too_many naming its path', async () => {
  const { resource, importing, listed } = await world()
  const err = await rejects(importing(resource(new Array(1_000_000).fill(0))), 'validation')
  assert.deepEqual(fields(err), [['extension', 'too_many']])
  assert.deepEqual(await listed(), [])
})

test('a forty-megabyte FHIR string is too_long naming its path', async () => {
  const { resource, importing, listed } = await world()
  const r = resource([])
  r.text = { status: 'generated', div: 'x'.repeat(40 << 20) }
  const err = await rejects(importing(r), 'validation')
  assert.deepEqual(fields(err), [['text.div', 'too_long'], ['resource', 'too_large']])
  assert.deepEqual(await listed(), [])
})

test('an object shared everywhere costs bounded work and is too_large', async () => {
  const { resource, importing } = await world()
  // 2^40 paths if walked naively.
  let shared = ['leaf']
  for (let i = 0; i < 40; i++) shared = [shared, shared]
  const err = await rejects(importing(resource(shared)), 'validation')
  assert.deepEqual(fields(err), [['resource', 'too_large']])
})

test('a resource within the bounds still imports and reads back', async () => {
  const { c, sys, resource, importing, listed } = await world()
  const a = await importing(resource(nested(20, 'x')))
  assert.deepEqual(await listed(), [a])
  const exported = await c.exportAppointmentFhir(sys, a.id)
  assert.deepEqual(exported.extension, nested(20, 'x'))
})

test('a JSON policy nested 10,000 deep is invalid_policy, not a crash', async () => {
  const deep = '{"version": 1, "rules": ' + '['.repeat(10_000) + ']'.repeat(10_000) + '}'
  const err = await rejects(open('memory:', { policy: deep }), 'invalid_policy')
  assert.match(err.location, /^line 1, column \d+$/)
  const { c, sys } = await world()
  await rejects(c.replacePolicy(sys, deep), 'invalid_policy')
})
