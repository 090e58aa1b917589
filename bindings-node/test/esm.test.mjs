import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'

import carebase, { CarebaseError, Clinic, defaultPolicyToml, isCarebaseError, newId, open } from 'carebase'

const require = createRequire(import.meta.url)

test('ESM import and CommonJS require expose the same API', async () => {
  const cjs = require('carebase')
  assert.equal(open, cjs.open)
  assert.equal(Clinic, cjs.Clinic)
  assert.equal(carebase, cjs)
  assert.equal(typeof newId, 'function')
  assert.equal(typeof isCarebaseError, 'function')
  assert.equal(CarebaseError, cjs.CarebaseError)
  assert.match(defaultPolicyToml(), /\[\[rules\]\]/)
  assert.match(newId(), /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  for (const url of ['memory:', 'sqlite::memory:']) {
    const c = await open(url)
    assert.ok(c instanceof Clinic)
    const page = await c.searchPatients({ id: newId(), roles: ['front_desk'] })
    assert.deepEqual(page, { items: [] })
  }
})

test("every operation of core's list is a Clinic method that returns a Promise", async () => {
  const c = await open('memory:')
  const camel = (name) => name.replace(/_([a-z])/g, (_, x) => x.toUpperCase())
  const names = require('../native.js').operations().map(camel)
  assert.equal(names.length, 71)
  for (const name of names) {
    const result = c[name]()
    assert.ok(result instanceof Promise, name)
    await result.catch(() => {})
  }
})
