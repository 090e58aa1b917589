// Parity with core: the operations and types of `api.json` (written by
// tools/codegen from core's operations list and types) must all be reachable
// from Node. Deleting a Clinic method, or a type from index.d.ts, fails here.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'

import { Clinic } from 'carebase'

const api = JSON.parse(readFileSync(new URL('../../api.json', import.meta.url), 'utf8'))
const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase())

test("every operation of core's list is a Clinic method", () => {
  const missing = api.operations
    .map((op) => camel(op.name))
    .filter((name) => typeof Clinic.prototype[name] !== 'function')
  assert.deepEqual(missing, [])
})

// Node spells these differently on purpose: scalars (ids are UUID strings,
// lengths of time whole minutes) are plain `string`/`number`; a rejection is
// a `CarebaseError`; a policy crosses as its TOML or JSON text.
const SPELT_AS_JS = new Set(['Error', 'Policy', 'Rule'])

test('every type an operation reaches is declared in index.d.ts', () => {
  const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')
  const declared = new Set(
    [...dts.matchAll(/export (?:declare )?(?:interface|type|class|enum|const enum) (\w+)/g)].map((m) => m[1]),
  )
  const missing = Object.entries(api.$defs)
    .filter(([, schema]) => schema.type !== 'string' && schema.type !== 'integer' || schema.enum)
    .map(([name]) => name)
    .filter((name) => !SPELT_AS_JS.has(name) && !declared.has(name))
  assert.deepEqual(missing, [])
})
