'use strict'
// The ONE converter between JavaScript values and core's serde form, driven
// by the shapes tools/codegen writes into generated.js (described in
// tools/codegen/src/node.rs): camelCase members <-> core's snake_case ones,
// `Date` <-> instants, `Date` or `YYYY-MM-DD` -> civil dates, milliseconds
// <-> `Minutes`, event payloads by their kind and version. Only what core's
// schema declares is converted: FHIR resources and other opaque JSON cross
// untouched, and members the schema does not know are passed on as given
// (core answers for them). No clinic rule lives here.

const { TYPES, EVENTS } = require('./generated.js')

// A `Date` keeps the exact instant core sent (microseconds), so a value read
// and handed back (a checkpoint, a cursor instant) is the same instant.
const EXACT = Symbol('carebase.instant')
const MS_PER_MINUTE = 60_000

// Types a host may also hand in as text, parsed by core: a policy as its
// TOML or JSON document. Set by index.js (it needs the native module).
const TEXT_FORMS = {}

const isRecord = (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)

/** An object shape's members by name in one direction (built once). */
function members(shape, direction) {
  const key = direction === 'in' ? '_in' : '_out'
  if (!shape[key]) {
    const map = new Map()
    const lists = []
    for (const [js, wire, inner, list] of shape.o) {
      if (direction === 'in') map.set(js, [wire, inner])
      else map.set(wire, [js, inner])
      if (list) lists.push(js)
    }
    Object.defineProperty(shape, key, { value: map })
    if (!shape._lists) Object.defineProperty(shape, '_lists', { value: lists })
  }
  return shape[key]
}

function instantIn(v) {
  if (!(v instanceof Date)) return v
  const exact = v[EXACT]
  if (exact && exact.ms === v.getTime()) return exact.text
  // An invalid Date reaches core as text it refuses (invalid_format).
  return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString()
}

function exactJson() {
  const exact = this[EXACT]
  return exact.ms === this.getTime() ? exact.text : Date.prototype.toJSON.call(this)
}

function instantOut(v) {
  if (typeof v !== 'string') return v
  const at = new Date(v)
  // More than millisecond precision: remember the text for the way back,
  // also through JSON (a checkpoint kept as JSON still verifies).
  if (v.length > 24) {
    Object.defineProperty(at, EXACT, { value: { text: v, ms: at.getTime() } })
    Object.defineProperty(at, 'toJSON', { value: exactJson })
  }
  return at
}

/** A `Date` as its UTC calendar date (`new Date('1990-03-04')` is that day). */
function dateIn(v) {
  if (!(v instanceof Date)) return v
  return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString().slice(0, 10)
}

/** `value`, given in JavaScript's form, in core's serde form. */
function toCore(shape, value) {
  if (shape === 0 || value === undefined || value === null) return value
  switch (shape) {
    case 't':
      return instantIn(value)
    case 'd':
      return dateIn(value)
    case 'm':
      return typeof value === 'number' ? value / MS_PER_MINUTE : value
    case 'e':
      return value
  }
  if (shape.r !== undefined) {
    const text = TEXT_FORMS[shape.r]
    if (text && typeof value === 'string') return text(value)
    return toCore(TYPES[shape.r], value)
  }
  if (shape.a !== undefined) return Array.isArray(value) ? value.map((v) => toCore(shape.a, v)) : value
  if (!isRecord(value)) return value
  if (shape.m !== undefined) {
    const out = {}
    for (const k of Object.keys(value)) out[k] = toCore(shape.m, value[k])
    return out
  }
  if (shape.u !== undefined) {
    const variant = shape.v[value[shape.u]]
    return variant === undefined ? value : toCore(variant, value)
  }
  const map = members(shape, 'in')
  const out = {}
  for (const k of Object.keys(value)) {
    const member = map.get(k)
    if (member === undefined) out[k] = value[k]
    else out[member[0]] = toCore(member[1], value[k])
  }
  return out
}

/** `value`, in core's serde form, in JavaScript's form (absent for `null`). */
function fromCore(shape, value) {
  if (shape === 0 || value === undefined || value === null) return value
  switch (shape) {
    case 't':
      return instantOut(value)
    case 'd':
    case 'e':
      return value
    case 'm':
      return typeof value === 'number' ? value * MS_PER_MINUTE : value
  }
  if (shape.r !== undefined) return fromCore(TYPES[shape.r], value)
  if (shape.a !== undefined) return Array.isArray(value) ? value.map((v) => fromCore(shape.a, v)) : value
  if (!isRecord(value)) return value
  if (shape.m !== undefined) {
    const out = {}
    for (const k of Object.keys(value)) out[k] = fromCore(shape.m, value[k])
    return out
  }
  if (shape.u !== undefined) {
    const variant = shape.v[value[shape.u]]
    return variant === undefined ? value : fromCore(variant, value)
  }
  const map = members(shape, 'out')
  const out = {}
  for (const k of Object.keys(value)) {
    const v = value[k]
    if (v === null) continue
    const member = map.get(k)
    if (member === undefined) out[k] = v
    else if (member[1] === 'e') out[member[0]] = fromCore(EVENTS[`${value.kind}@${value.schema_version}`] ?? 0, v)
    else out[member[0]] = fromCore(member[1], v)
  }
  for (const js of shape._lists) if (out[js] === undefined) out[js] = []
  return out
}

module.exports = { toCore, fromCore, TEXT_FORMS }
