// Parity with core: every operation of core's list (asked of the native
// module, which is built from `carebase::clinic_operations!`) is a method of
// the JavaScript Clinic, and every type of api.json (written by
// tools/codegen from core's types) is declared in index.d.ts. Deleting a
// generated Clinic method, or a type from index.d.ts, fails here.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { test } from 'node:test'

import { Clinic } from 'carebase'

const require = createRequire(import.meta.url)
const native = require('../native.js')
const api = JSON.parse(readFileSync(new URL('../../api.json', import.meta.url), 'utf8'))
const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase())
const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')

test("every operation of core's list is a Clinic method", () => {
  const missing = native
    .operations()
    .map(camel)
    .filter((name) => typeof Clinic.prototype[name] !== 'function')
  assert.deepEqual(missing, [])
})

test("every operation of core's list is declared on Clinic in index.d.ts", () => {
  const clinic = dts.slice(dts.indexOf('export declare class Clinic {'))
  const body = clinic.slice(0, clinic.indexOf('\n}\n'))
  const missing = native
    .operations()
    .map(camel)
    .filter((name) => !new RegExp(`^  ${name}\\(`, 'm').test(body))
  assert.deepEqual(missing, [])
})

test('every host function of core is exported', () => {
  const carebase = require('carebase')
  const missing = native
    .functions()
    .map(camel)
    .filter((name) => typeof carebase[name] !== 'function')
  assert.deepEqual(missing, [])
})

// `Error` is declared as the `CarebaseError` class.
const SPELT_AS_JS = new Set(['Error'])

test('every type an operation reaches is declared in index.d.ts', () => {
  const declared = new Set(
    [...dts.matchAll(/export (?:declare )?(?:interface|type|class|enum|const enum) (\w+)/g)].map((m) => m[1]),
  )
  const missing = Object.keys(api.$defs).filter((name) => !SPELT_AS_JS.has(name) && !declared.has(name))
  assert.deepEqual(missing, [])
})
