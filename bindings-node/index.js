'use strict'
// carebase for Node: the generic native door (`native.js`) made into the
// JavaScript API. Every `Clinic` method and host function is built here from
// the lists tools/codegen generates from core's (`generated.js`); arguments
// and results go through the one converter (`convert.js`); every rejection
// is rebuilt from core's serialized error. No method is written by hand.

const native = require('./native.js')
const { OPERATIONS, FUNCTIONS, SETTINGS, ERROR, ERROR_CODES, ACTOR, POLICY, TYPES } = require('./generated.js')
const { toCore, fromCore, inward, outward, TEXT_FORMS } = require('./convert.js')

const MARKER = 'carebase-error:'
// napi statuses of a value it could not read.
const NAPI_ARGUMENT_ERRORS = new Set(['InvalidArg', 'ObjectExpected', 'StringExpected', 'NumberExpected', 'BigintExpected'])
const CODES = new Set(ERROR_CODES)

/** What every carebase rejection is: `.code`, a message naming the failing fields, and the code's details. */
class CarebaseError extends Error {
  constructor(payload) {
    const { message, code, ...details } = payload
    super(typeof message === 'string' ? message : String(code))
    this.code = code
    Object.assign(this, details)
  }
}
Object.defineProperty(CarebaseError.prototype, 'name', { value: 'CarebaseError' })

/** A native failure as the error a host sees. */
function toJsError(err, caller) {
  if (!(err instanceof Error)) return err
  const message = typeof err.message === 'string' ? err.message : ''
  let error
  if (message.startsWith(MARKER)) {
    let payload
    try {
      payload = fromCore(ERROR, JSON.parse(message.slice(MARKER.length)))
    } catch {
      payload = { code: 'storage', kind: 'other', message: 'unreadable error from the native binding' }
    }
    error = new CarebaseError(payload)
  } else if (NAPI_ARGUMENT_ERRORS.has(err.code)) {
    // napi could not read a value as JSON (a BigInt, a Symbol): the value
    // is not quoted, it may be patient data.
    error = new TypeError(`invalid argument: ${message.replace(/`[^`]*`/g, 'value')}`)
    error.code = 'validation'
    error.fields = [{ field: '(input)', code: 'invalid_type', message: 'not a JSON value' }]
  } else {
    return err
  }
  Error.captureStackTrace(error, caller)
  return error
}

// A policy may be handed in as its TOML or JSON document; core parses it.
TEXT_FORMS.Policy = (text) => {
  const fn = text.trimStart().startsWith('{') ? 'policy_from_json' : 'policy_from_toml'
  try {
    return JSON.parse(native.callFunction(fn, { text }))
  } catch (err) {
    throw toJsError(err, TEXT_FORMS.Policy)
  }
}

/** The builder of one call's arguments object, in core's form, from a method's arguments. */
function argumentsOf(item) {
  const actor = item.actor ? inward(ACTOR) : undefined
  const params = item.args.map(([wire, mode, shape]) => ({
    wire,
    flatten: mode === 'f',
    beside: shape === 'b',
    convert: inward(shape),
  }))
  return (values, beside) => {
    const args = {}
    let i = 0
    if (actor !== undefined) args.actor = actor(values[i++])
    for (const p of params) {
      const value = p.convert(values[i++])
      if (p.beside && value instanceof Uint8Array) {
        // Raw bytes never enter the JSON: they travel beside it. Anything
        // else goes in the JSON, where core refuses it (`invalid_type`).
        beside.bytes = value
      } else if (p.flatten && typeof value === 'object' && value !== null && !Array.isArray(value)) Object.assign(args, value)
      else if (value !== undefined) args[p.wire] = value
    }
    return args
  }
}

/** The wire name of the member of `returns` that receives bytes carried back beside the JSON. */
function bytesMemberOf(returns) {
  const record = returns && returns.r !== undefined ? TYPES[returns.r] : undefined
  const member = record && record.o ? record.o.find((m) => m[2] === 'b') : undefined
  return member ? member[1] : undefined
}

const NATIVE = Symbol('carebase.native')
const PENDING = Symbol('carebase.pending')
let lastCall = 0

/**
 * Starts `operation` on the native clinic; resolves to its result's JSON.
 * One native function answers every call of a clinic by its number (napi's
 * own `async fn` made and closed a threadsafe function per call), and the
 * process is held alive while any call is out.
 */
function started(clinic, operation, args, bytes) {
  const inner = clinic[NATIVE]
  const pending = clinic[PENDING]
  return new Promise((resolve, reject) => {
    const call = (lastCall = (lastCall + 1) >>> 0)
    if (bytes === undefined) inner.start(call, operation, args)
    else inner.start(call, operation, args, bytes)
    if (pending.size === 0) inner.hold(true)
    pending.set(call, { resolve, reject })
  })
}

/** The clinic's rules over one store (from `open`); its methods are core's operation list. */
class Clinic {
  constructor(inner) {
    if (!(inner instanceof native.Clinic)) throw new TypeError('a Clinic comes from open()')
    Object.defineProperty(this, NATIVE, { value: inner })
    const pending = new Map()
    Object.defineProperty(this, PENDING, { value: pending })
    // The native clinic keeps its answer function alive: a strong
    // reference back would keep the clinic (and its store) forever.
    const weak = new WeakRef(inner)
    inner.answerTo((call, ok, text, bytes) => {
      const waiting = pending.get(call)
      if (waiting === undefined) return
      pending.delete(call)
      if (pending.size === 0) weak.deref()?.hold(false)
      if (ok) waiting.resolve(bytes == null ? text : { text, bytes })
      else waiting.reject(new Error(MARKER + text))
    })
  }

  /** The settings in force. */
  settings() {
    return fromCore(SETTINGS, JSON.parse(this[NATIVE].settings()))
  }

  /** The access policy in force. */
  policy() {
    return fromCore(POLICY, JSON.parse(this[NATIVE].policy()))
  }

  /** The public fingerprint of the audit key in use. */
  auditKeyId() {
    return this[NATIVE].auditKeyId()
  }
}

for (const op of OPERATIONS) {
  const args = argumentsOf(op)
  const result = outward(op.returns)
  const bytesMember = bytesMemberOf(op.returns)
  const method = {
    async [op.name](...values) {
      let answer
      try {
        const beside = {}
        const wire = args(values, beside)
        answer = await started(this, op.op, wire, beside.bytes)
      } catch (err) {
        throw toJsError(err, method)
      }
      if (typeof answer === 'string') return result(JSON.parse(answer))
      const raw = JSON.parse(answer.text)
      if (bytesMember !== undefined && raw !== null && typeof raw === 'object') raw[bytesMember] = answer.bytes
      return result(raw)
    },
  }[op.name]
  Object.defineProperty(Clinic.prototype, op.name, { value: method, writable: true, configurable: true })
}

const functions = {}
for (const fn of FUNCTIONS) {
  const args = argumentsOf(fn)
  const result = outward(fn.returns)
  const f = {
    [fn.name](...values) {
      let text
      try {
        text = native.callFunction(fn.op, args(values, {}))
      } catch (err) {
        throw toJsError(err, f)
      }
      return result(JSON.parse(text))
    },
  }[fn.name]
  functions[fn.name] = f
}

/** Opens the store `url` names and resolves to a clinic over it. */
async function open(url, options) {
  let inner
  try {
    const o = options ?? {}
    const given = typeof o === 'object' && !Array.isArray(o)
    // Options core does not know are passed on, so core refuses them by
    // name (unknown_field) instead of this file dropping them.
    const { auditKey, settings, policy, ...others } = given ? o : {}
    const args = given ? { ...others, settings: toCore(SETTINGS, settings), policy: toCore(POLICY, policy) } : o
    // The key crosses as bytes beside the JSON (never inside it); a value
    // that is not bytes is refused by napi (a TypeError coded validation).
    const raw = given ? auditKey ?? undefined : undefined
    const key = raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) : raw
    inner = await native.open(url, args, key)
  } catch (err) {
    throw err instanceof CarebaseError ? err : toJsError(err, open)
  }
  return new Clinic(inner)
}

function isCarebaseError(e) {
  return e instanceof CarebaseError || (e instanceof Error && CODES.has(e.code))
}

module.exports = { Clinic, open, isCarebaseError, CarebaseError, ...functions }
