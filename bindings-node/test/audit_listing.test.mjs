import assert from 'node:assert/strict'
import { test } from 'node:test'

import { actor, clinic, registered, rejects, system } from '../test-support/helpers.mjs'

test("a patient's audit listing refuses a cursor from another patient's chain", async () => {
  const c = await clinic()
  const sys = system()
  const mine = await registered(c, actor('front_desk'))
  const theirs = await registered(c, actor('front_desk'))
  const [theirEntry] = await c.auditLog(sys, { patient: theirs.id })
  const err = await rejects(c.auditLog(sys, { patient: mine.id, after: theirEntry.id }), 'validation')
  assert.deepEqual(err.fields.map((f) => [f.field, f.code]), [['after', 'invalid_cursor']])
  // The refusal and the listings are audited on the chain: its own entry
  // is a cursor, and the next page starts at the next position.
  const [first] = await c.auditLog(sys, { patient: mine.id, limit: 1 })
  const afterFirst = await c.auditLog(sys, { patient: mine.id, after: first.id })
  assert.deepEqual(afterFirst.map((e) => e.chainSeq), afterFirst.map((_, i) => i + 2))
  assert.equal(afterFirst[0].outcome, 'failed')
})
