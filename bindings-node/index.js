'use strict'
// carebase for Node: the native binding (loaded by native.js) with every
// rejection turned into a proper `Error` carrying the stable core
// `code` and its details as properties. This file is the ONE place where a
// native error becomes a JavaScript error; see src/error.rs for the other side.

const native = require('./native.js')

const MARKER = 'carebase-error:'
const CODES = new Set([
  'validation',
  'not_found',
  'conflict',
  'double_booking',
  'forbidden',
  'invalid_policy',
  'unsupported_store',
  'storage',
])

// napi statuses of a failed argument conversion.
const NAPI_TYPE_ERRORS = new Set([
  'InvalidArg',
  'ObjectExpected',
  'StringExpected',
  'NameExpected',
  'FunctionExpected',
  'NumberExpected',
  'BooleanExpected',
  'ArrayExpected',
  'BigintExpected',
  'DateExpected',
])

/** What every carebase rejection is: `.code` plus the details of that code. */
class CarebaseError extends Error {
  constructor(payload) {
    const { message, code, ...details } = payload
    super(typeof message === 'string' ? message : String(code))
    this.code = code
    Object.assign(this, details)
  }
}

Object.defineProperty(CarebaseError.prototype, 'name', { value: 'CarebaseError' })

/** Rebuilds a native error as a `CarebaseError` (or a `TypeError`). */
function toJsError(err) {
  if (!(err instanceof Error)) return err
  const message = typeof err.message === 'string' ? err.message : ''
  if (message.startsWith(MARKER)) {
    let payload
    try {
      payload = JSON.parse(message.slice(MARKER.length))
    } catch {
      payload = { code: 'storage', message: 'unreadable error from the native binding' }
    }
    const error = new CarebaseError(payload)
    Error.captureStackTrace(error, toJsError)
    return error
  }
  if (!(err instanceof TypeError) && !NAPI_TYPE_ERRORS.has(err.code)) {
    // Not raised by carebase nor by argument conversion: keep it typed.
    const error = new CarebaseError({ code: 'storage', message: `native binding failure: ${message}` })
    Error.captureStackTrace(error, toJsError)
    return error
  }
  // napi's own argument conversion failed: a value of the wrong JavaScript
  // type (missing object, number for a string, unknown enum value, ...).
  // The value napi quotes is dropped: it may be patient data.
  const detail = message.replace(/(JavaScript value|value) `[^`]*`/g, '$1')
  const error = new TypeError(`invalid argument: ${detail}`)
  error.code = 'validation'
  error.fields = [{ field: 'argument', code: 'invalid_type', message: detail }]
  Error.captureStackTrace(error, toJsError)
  return error
}

function rejecting(fn) {
  return async function carebaseCall(...args) {
    try {
      return await fn.apply(this, args)
    } catch (err) {
      throw toJsError(err)
    }
  }
}

const proto = native.Clinic.prototype
for (const name of Object.getOwnPropertyNames(proto)) {
  const desc = Object.getOwnPropertyDescriptor(proto, name)
  if (name === 'constructor' || !desc || typeof desc.value !== 'function') continue
  Object.defineProperty(proto, name, { ...desc, value: rejecting(desc.value) })
}

function isCarebaseError(e) {
  return e instanceof CarebaseError || (e instanceof Error && CODES.has(e.code))
}

module.exports = {
  Clinic: native.Clinic,
  open: rejecting(native.open),
  newId: native.newId,
  defaultPolicy: native.defaultPolicy,
  isCarebaseError,
  CarebaseError,
}
