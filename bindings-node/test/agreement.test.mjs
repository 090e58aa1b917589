// The table of cases every host answers alike (tests/agreement/cases.json),
// handed to the public JS API as a JS user writes it: camelCase objects and
// positional arguments in core's order (a flattened bundle is one object).
// Outcomes are compared in core's form (snake_case keys, instants as text).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'

import { open } from '../index.mjs'

const read = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'))
const api = read('../../api.json')
const table = read('../../tests/agreement/cases.json')

const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())
const snake = (s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
const keys = (v, f) =>
  Array.isArray(v) ? v.map((x) => keys(x, f))
    : v instanceof Date ? v.toISOString().replace('.000Z', 'Z')
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [f(k), keys(x, f)]))
    : v

function at(value, path) {
  for (const part of path ? path.split('.') : []) {
    value = part === '#' && Array.isArray(value) ? value.length : value?.[part] ?? null
  }
  return value ?? null
}

function resolve(value, saved) {
  if (Array.isArray(value)) return value.map((v) => resolve(v, saved))
  if (value && typeof value === 'object') {
    if ('$ref' in value) {
      const [name, ...rest] = value.$ref.split('.')
      return at(saved[name], rest.join('.'))
    }
    if ('$repeat' in value) return value.$repeat[0].repeat(value.$repeat[1])
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, saved)]))
  }
  return value
}

async function run(clinic, step, saved) {
  if (step.open) {
    await open('memory:', keys(step.open, camel))
    return null
  }
  const args = resolve(step.args, saved)
  const op = api.operations.find((o) => o.name === step.op)
  const positional = op.args.map((arg) => {
    // A JS duration is milliseconds; the table writes core's minutes.
    if (/\bMinutes\b/.test(arg.type) && typeof args[arg.name] === 'number') return args[arg.name] * 60_000
    if (!arg.flatten) return keys(args[arg.name], camel)
    const bundle = api.$defs[arg.type].properties
    return keys(Object.fromEntries(Object.keys(bundle).filter((k) => k in args).map((k) => [k, args[k]])), camel)
  })
  const actor = keys(table.actors[step.actor], camel)
  return keys(await clinic[camel(step.op)](actor, ...positional), snake)
}

async function outcome(c) {
  const clinic = await open('memory:')
  const saved = {}
  for (const step of c.given ?? []) saved[step.save] = await run(clinic, step, saved)
  const then = c.then
  let result
  try {
    result = await run(clinic, c.when, saved)
  } catch (e) {
    if (then.error !== e.code) return `expected ${JSON.stringify(then)}, got ${e.code}: ${e.message}`
    if (then.fields) {
      const got = (e.fields ?? []).map((f) => [snake(f.field), f.code])
      if (JSON.stringify(got) !== JSON.stringify(then.fields)) return `fields: expected ${JSON.stringify(then.fields)}, got ${JSON.stringify(got)}`
    }
    for (const [name, want] of Object.entries(then.details ?? {})) {
      if (e[camel(name)] !== resolve(want, saved)) return `${name}: expected ${resolve(want, saved)}, got ${e[camel(name)]}`
    }
    return null
  }
  if (!then.result) return `expected ${JSON.stringify(then)}, got a result`
  for (const [path, want] of Object.entries(then.result)) {
    const got = at(result, path)
    if (JSON.stringify(got) !== JSON.stringify(resolve(want, saved))) return `${path}: expected ${JSON.stringify(resolve(want, saved))}, got ${JSON.stringify(got)}`
  }
  return null
}

for (const c of table.cases.filter((c) => !('node' in (c.unrepresentable ?? {})))) {
  test(`Node answers as the agreement table says: ${c.name}`, async () => {
    assert.equal(await outcome(c), null)
  })
}
