'use strict'
// The ONE converter between JavaScript values and core's serde form, driven
// by the shapes tools/codegen writes into generated.js (described in
// tools/codegen/src/node/mod.rs): camelCase members <-> core's snake_case
// ones, `Date` <-> instants, `Date` or `YYYY-MM-DD` -> civil dates,
// milliseconds <-> `Minutes`, event payloads by their kind and version. Only
// what core's schema declares is converted: FHIR resources and other opaque
// JSON cross untouched, and members the schema does not know are passed on
// as given (core answers for them). No clinic rule lives here.
//
// Each shape becomes a converter function once, on first use: an object
// shape is compiled into straight-line code (one `case` per member, so each
// member's property access is its own fast path; the names are JSON string
// literals, never code), where the engine allows code from text; elsewhere
// the same converter is a loop over the members. Walking the shape table on
// every call cost more than the call's own JavaScript.

const { TYPES, EVENTS } = require('./generated.js')

const MS_PER_MINUTE = 60_000

// Types a host may also hand in as text, parsed by core: a policy as its
// TOML or JSON document. Set by index.js (it needs the native module).
const TEXT_FORMS = {}

const isRecord = (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)
const same = (v) => v

// A `Date` read from carebase keeps the exact instant core sent
// (microseconds), so a value handed back (a checkpoint, a cursor instant) is
// the same instant, also through JSON. The text sits in a private field
// stamped on the Date (invisible to equality, inspection and enumeration,
// and cheaper than a property); only `toJSON` must be an own property.
class Stamp {
  constructor(target) {
    return target
  }
}
class Exact extends Stamp {
  #text
  #ms
  constructor(at, text) {
    super(at)
    this.#text = text
    this.#ms = at.getTime()
  }

  /** The text core sent for `at`, unless the host has moved it since. */
  static text(at) {
    return #text in at && at.#ms === at.getTime() ? at.#text : undefined
  }
}
function exactJson() {
  return Exact.text(this) ?? Date.prototype.toJSON.call(this)
}
const EXACT_JSON = Object.freeze({ value: exactJson })

function instantIn(v) {
  if (!(v instanceof Date)) return v
  const exact = Exact.text(v)
  if (exact !== undefined) return exact
  // An invalid Date reaches core as text it refuses (invalid_format).
  return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString()
}

function instantOut(v) {
  if (typeof v !== 'string') return v
  const at = new Date(v)
  // More than millisecond precision: remember the text for the way back.
  if (v.length > 24) {
    new Exact(at, v)
    Object.defineProperty(at, 'toJSON', EXACT_JSON)
  }
  return at
}

/** A `Date` as its UTC calendar date (`new Date('1990-03-04')` is that day). */
function dateIn(v) {
  if (!(v instanceof Date)) return v
  return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString().slice(0, 10)
}

const LEAVES = {
  // `b`: raw bytes, which `index.js` carries beside the JSON text both ways.
  in: { t: instantIn, d: dateIn, e: same, b: same, m: (v) => (typeof v === 'number' ? v / MS_PER_MINUTE : v) },
  out: { t: instantOut, d: same, e: same, b: same, m: (v) => (typeof v === 'number' ? v * MS_PER_MINUTE : v) },
}
const BUILT = { in: new WeakMap(), out: new WeakMap() }

/** The converter of `shape` in direction `dir` (`in`: to core, `out`: from core). */
function converter(shape, dir) {
  if (shape === 0) return same
  if (typeof shape !== 'object') return LEAVES[dir][shape]
  let convert = BUILT[dir].get(shape)
  if (convert === undefined) {
    convert = build(shape, dir)
    BUILT[dir].set(shape, convert)
  }
  return convert
}

function build(shape, dir) {
  if (shape.r !== undefined) {
    // Resolved on first use: named types may refer to themselves.
    let target
    return (v) => {
      if (v === undefined || v === null) return v
      const text = dir === 'in' && typeof v === 'string' ? TEXT_FORMS[shape.r] : undefined
      return text ? text(v) : (target ??= converter(TYPES[shape.r], dir))(v)
    }
  }
  if (shape.a !== undefined) {
    const item = converter(shape.a, dir)
    return item === same ? same : (v) => (Array.isArray(v) ? v.map(item) : v)
  }
  if (shape.m !== undefined) {
    const item = converter(shape.m, dir)
    return (v) => {
      if (!isRecord(v)) return v
      const out = {}
      for (const k of Object.keys(v)) out[k] = item(v[k])
      return out
    }
  }
  if (shape.u !== undefined) {
    const variants = new Map(Object.entries(shape.v).map(([tag, s]) => [tag, converter(s, dir)]))
    return (v) => (isRecord(v) ? (variants.get(v[shape.u]) ?? same)(v) : v)
  }
  // An object: [name handed in, name handed on, converter] per member.
  const members = shape.o.map(([js, wire, inner]) => {
    if (dir === 'in') return [js, wire, converter(inner, dir)]
    return [wire, js, inner === 'e' ? payloadOut : converter(inner, dir)]
  })
  const lists = dir === 'out' ? shape.o.filter((m) => m[3]).map((m) => m[0]) : []
  try {
    return compiled(members, lists, dir)
  } catch (err) {
    if (!(err instanceof EvalError)) throw err
    return walked(members, lists, dir)
  }
}

/** An outbox event's payload, by the shape of its kind and version. */
function payloadOut(payload, event) {
  return converter(EVENTS[`${event.kind}@${event.schema_version}`] ?? 0, 'out')(payload)
}

// Core answers `null` for an absent member: it comes out absent.
function compiled(members, lists, dir) {
  const q = JSON.stringify
  const cases = members.map(([from, to, convert], i) => {
    const value = convert === same ? 'x' : convert === payloadOut ? `c${i}(x, v)` : `c${i}(x)`
    return `case ${q(from)}: o[${q(to)}] = ${value}; break\n`
  })
  const code =
    `${members.map((_, i) => `const c${i} = c[${i}]\n`).join('')}` +
    'return function convert(v) {\n' +
    'if (!isRecord(v)) return v\nconst o = {}\nconst keys = Object.keys(v)\n' +
    'for (let i = 0; i < keys.length; i++) {\nconst k = keys[i]\nconst x = v[k]\n' +
    `${dir === 'out' ? 'if (x === null) continue\n' : ''}` +
    `switch (k) {\n${cases.join('')}default: o[k] = x\n}\n}\n` +
    `${lists.map((js) => `if (o[${q(js)}] === undefined) o[${q(js)}] = []\n`).join('')}` +
    'return o\n}'
  return new Function('c', 'isRecord', code)(
    members.map((m) => m[2]),
    isRecord,
  )
}

function walked(members, lists, dir) {
  const byName = new Map(members.map(([from, to, convert]) => [from, [to, convert]]))
  return (v) => {
    if (!isRecord(v)) return v
    const o = {}
    for (const k of Object.keys(v)) {
      const x = v[k]
      if (x === null && dir === 'out') continue
      const member = byName.get(k)
      if (member === undefined) o[k] = x
      else o[member[0]] = member[1](x, v)
    }
    for (const js of lists) if (o[js] === undefined) o[js] = []
    return o
  }
}

/** The function giving a value of `shape` in core's serde form. */
const inward = (shape) => converter(shape, 'in')

/** The function giving a value of `shape` in JavaScript's form. */
const outward = (shape) => converter(shape, 'out')

/** `value`, given in JavaScript's form, in core's serde form. */
const toCore = (shape, value) => converter(shape, 'in')(value)

/** `value`, in core's serde form, in JavaScript's form (absent for `null`). */
const fromCore = (shape, value) => converter(shape, 'out')(value)

module.exports = { toCore, fromCore, inward, outward, TEXT_FORMS }
