// The table of cases every host answers alike (tests/agreement/cases.json),
// handed to the Kotlin API as Kotlin code would: records built by their
// constructors (by reflection: camelCase parameters, java.time values,
// java.util.UUID ids, enums), the clinic's suspend methods with arguments in
// core's order (a flattened bundle is one record). Outcomes are compared in
// core's form. Cases the Kotlin types cannot express (`unrepresentable`) are
// skipped with their reason.

import org.carebase.*
import org.carebase.mobile.*
import java.io.File
import java.time.Duration
import java.time.Instant
import java.time.LocalDate
import java.time.LocalTime
import java.util.UUID
import kotlin.reflect.KClass
import kotlin.reflect.KType
import kotlin.reflect.full.callSuspend
import kotlin.reflect.full.memberFunctions
import kotlin.reflect.full.memberProperties
import kotlin.reflect.full.primaryConstructor

/** A number as `Json.parse` reads one (SchedulingTest.kt), for `==`. */
fun num(n: Long): java.math.BigDecimal = java.math.BigDecimal.valueOf(n).stripTrailingZeros()

fun obj(v: Any?): Map<String, Any?> = v.obj()
fun arr(v: Any?): List<Any?> = (v as? List<*>)?.toList() ?: emptyList()

val agreementTable = obj(Json.parse(File("../tests/agreement/cases.json").readText()))
val agreementApi = obj(Json.parse(File("../api.json").readText()))

fun camelCase(s: String) = s.replace(Regex("_([a-z0-9])")) { it.groupValues[1].uppercase() }
fun snakeCase(s: String) = s.replace(Regex("[A-Z]")) { "_" + it.value.lowercase() }

fun pathAt(value: Any?, path: String): Any? {
    var here = value
    for (part in if (path.isEmpty()) emptyList() else path.split('.')) {
        here = when {
            part == "#" && here is List<*> -> num(here.size.toLong())
            here is List<*> -> here.getOrNull(part.toInt())
            here is Map<*, *> -> here[part]
            else -> null
        }
    }
    return here
}

fun resolve(value: Any?, saved: Map<String, Any?>): Any? = when {
    value is Map<*, *> && "\$ref" in value -> {
        val ref = value["\$ref"] as String
        pathAt(saved[ref.substringBefore('.')], if ('.' in ref) ref.substringAfter('.') else "")
    }
    value is Map<*, *> && "\$repeat" in value -> {
        val (text, n) = arr(value["\$repeat"])
        (text as String).repeat((n as java.math.BigDecimal).toInt())
    }
    value is Map<*, *> -> obj(value).mapValues { resolve(it.value, saved) }
    value is List<*> -> value.map { resolve(it, saved) }
    else -> value
}

/** The Kotlin value of `type` for core's JSON `raw`. */
fun build(type: KType, raw: Any?): Any? {
    if (raw == null) return null
    val k = type.classifier as KClass<*>
    return when {
        k == String::class -> raw
        k == Boolean::class -> raw
        k == Int::class -> (raw as java.math.BigDecimal).toInt()
        k == Long::class -> (raw as java.math.BigDecimal).toLong()
        k == UInt::class -> (raw as java.math.BigDecimal).toLong().toUInt()
        k == ULong::class -> (raw as java.math.BigDecimal).toLong().toULong()
        k == Double::class -> (raw as java.math.BigDecimal).toDouble()
        k == UUID::class -> UUID.fromString(raw as String)
        k == Instant::class -> Instant.parse(raw as String)
        k == LocalDate::class -> LocalDate.parse(raw as String)
        k == LocalTime::class -> LocalTime.parse(raw as String)
        k == Duration::class -> Duration.ofMinutes((raw as java.math.BigDecimal).toLong())
        k == List::class -> arr(raw).map { build(type.arguments[0].type!!, it) }
        k.java.isEnum -> k.java.enumConstants.first { (it as Enum<*>).name == (raw as String).uppercase().replace('-', '_') }
        else -> record(k, obj(raw))
    }
}

/** A record from its fields in core's form; fields left out keep their defaults. */
fun record(k: KClass<*>, fields: Map<String, Any?>): Any {
    val ctor = k.primaryConstructor!!
    val args = ctor.parameters
        .filter { snakeCase(it.name!!) in fields || !it.isOptional }
        .associateWith { build(it.type, fields[snakeCase(it.name!!)]) }
    return ctor.callBy(args)
}

/** A Kotlin value in core's JSON form (records by their properties, snake_case). */
fun coreForm(v: Any?): Any? = when (v) {
    null, is String, is Boolean -> v
    is Int -> num(v.toLong())
    is Long -> num(v)
    is UInt -> num(v.toLong())
    is ULong -> num(v.toLong())
    is Double -> java.math.BigDecimal.valueOf(v).stripTrailingZeros()
    is UUID, is Instant, is LocalDate, is LocalTime -> v.toString()
    is Duration -> num(v.toMinutes())
    is Enum<*> -> v.name.lowercase()
    is List<*> -> v.map { coreForm(it) }
    else -> if (v::class.isData) {
        v::class.memberProperties.associate { snakeCase(it.name) to coreForm(it.getter.call(v)) }
    } else v.toString()
}

suspend fun agreementRun(clinic: Clinic, step: Map<String, Any?>, saved: Map<String, Any?>): Any? {
    val args = obj(resolve(step["args"], saved))
    val op = arr(agreementApi["operations"]).map { obj(it) }.first { it["name"] == step["op"] }
    val fn = Clinic::class.memberFunctions.first { it.name == camelCase(op["name"] as String) }
    val params = fn.parameters.drop(2) // the clinic, the actor
    val values = arr(op["args"]).map { obj(it) }.zip(params).map { (arg, param) ->
        val raw = if (arg["flatten"] == true) {
            val bundle = obj(obj(agreementApi["\$defs"])[arg["type"]])
            obj(bundle["properties"]).keys.filter { it in args }.associateWith { args[it] }
        } else args[arg["name"]] ?: if (param.type.isMarkedNullable) null else emptyMap<String, Any?>()
        build(param.type, raw)
    }
    val actor = record(Actor::class, obj(obj(agreementTable["actors"])[step["actor"]]))
    val result = try {
        fn.callSuspend(clinic, actor, *values.toTypedArray())
    } catch (e: java.lang.reflect.InvocationTargetException) {
        throw e.targetException // what the method threw, as a caller sees it
    }
    return coreForm(result)
}

suspend fun agreementOutcome(case: Map<String, Any?>): String? {
    val clinic = Clinic.open("memory:")
    val saved = HashMap<String, Any?>()
    for (step in arr(case["given"]).map { obj(it) }) saved[step["save"] as String] = agreementRun(clinic, step, saved)
    val then = obj(case["then"])
    val result = try {
        agreementRun(clinic, obj(case["when"]), saved)
    } catch (e: CarebaseException) {
        if (then["error"] != e.code()) return "expected $then, got ${e.code()}: ${e.message}"
        if ("fields" in then) {
            val got = (e as? CarebaseException.Validation)?.fields?.map { listOf(it.field, it.code) } ?: emptyList()
            if (got != then["fields"]) return "fields: expected ${then["fields"]}, got $got"
        }
        for ((name, want) in obj(then["details"] ?: emptyMap<String, Any?>())) {
            val got = coreForm(e::class.memberProperties.first { it.name == camelCase(name) }.getter.call(e))
            if (got != resolve(want, saved)) return "$name: expected ${resolve(want, saved)}, got $got"
        }
        return null
    }
    val expected = then["result"] ?: return "expected $then, got a result"
    for ((path, want) in obj(expected)) {
        val got = pathAt(result, path)
        if (got != resolve(want, saved)) return "$path: expected ${resolve(want, saved)}, got $got"
    }
    return null
}

val agreementTests: List<Pair<String, suspend () -> Unit>> = arr(agreementTable["cases"]).map { obj(it) }
    .filter { "kotlin" !in obj(it["unrepresentable"] ?: emptyMap<String, Any?>()) }
    .map { case ->
        "Kotlin answers as the agreement table says: ${case["name"]}" to suspend {
            agreementOutcome(case)?.let { throw TestFailure(it) }
            Unit
        }
    }
