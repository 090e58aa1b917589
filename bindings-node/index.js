'use strict'
// carebase for Node: the generic native door (`native.js`) made into the
// JavaScript API. Every `Clinic` method and host function is built here from
// the lists tools/codegen generates from core's (`generated.js`); arguments
// and results go through the one converter (`convert.js`); every rejection
// is rebuilt from core's serialized error. No method is written by hand.

const native = require('./native.js')
const { OPERATIONS, FUNCTIONS, SETTINGS, ERROR, ERROR_CODES, ACTOR, POLICY } = require('./generated.js')
const { toCore, fromCore, TEXT_FORMS } = require('./convert.js')

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

/** The arguments object of one call, in core's form. */
function argumentsOf(item, values) {
  const args = {}
  let i = 0
  if (item.actor) args.actor = toCore(ACTOR, values[i++])
  for (const [wire, mode, shape] of item.args) {
    const value = toCore(shape, values[i++])
    if (mode === 'f' && typeof value === 'object' && value !== null && !Array.isArray(value)) Object.assign(args, value)
    else if (value !== undefined) args[wire] = value
  }
  return args
}

const NATIVE = Symbol('carebase.native')

/** The clinic's rules over one store (from `open`); its methods are core's operation list. */
class Clinic {
  constructor(inner) {
    if (!(inner instanceof native.Clinic)) throw new TypeError('a Clinic comes from open()')
    Object.defineProperty(this, NATIVE, { value: inner })
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
  const method = {
    async [op.name](...values) {
      let text
      try {
        text = await this[NATIVE].call(op.op, argumentsOf(op, values))
      } catch (err) {
        throw toJsError(err, method)
      }
      return fromCore(op.returns, JSON.parse(text))
    },
  }[op.name]
  Object.defineProperty(Clinic.prototype, op.name, { value: method, writable: true, configurable: true })
}

const functions = {}
for (const fn of FUNCTIONS) {
  const f = {
    [fn.name](...values) {
      let text
      try {
        text = native.callFunction(fn.op, argumentsOf(fn, values))
      } catch (err) {
        throw toJsError(err, f)
      }
      return fromCore(fn.returns, JSON.parse(text))
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
