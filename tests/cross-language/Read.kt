// Cross-language proof, Kotlin reader (JVM + JNA over the uniffi binding).
// Usage: java ... ReadKt <clinic.db> <expected.json>
// Opens the SQLite file the Python writer produced, reads every patient by id
// (system actor), runs the same searches, counts outbox events, verifies the
// audit chain, and compares with expected.json. Prints every difference and
// exits 1 on any. (No JSON library on the classpath: a minimal reader is at
// the bottom.)

import kotlinx.coroutines.runBlocking
import org.carebase.*
import org.carebase.mobile.*
import java.io.File
import java.time.Instant
import java.time.LocalDate
import java.util.UUID
import kotlin.system.exitProcess

const val MRN = "urn:carebase:mrn:north"

fun settings() = defaultSettings().copy(
    identifierSystems = listOf(IdentifierSystem(system = MRN, checkDigit = CheckDigit.LUHN)),
    mrnNamespaces = listOf(
        MrnNamespace(facility = "north", system = MRN, prefix = "", digits = 7, checkDigit = CheckDigit.LUHN),
    ),
)

fun main(args: Array<String>) {
    if (args.size != 2) {
        System.err.println("usage: ReadKt <clinic.db> <expected.json>")
        exitProcess(2)
    }
    val diffs = try {
        runBlocking { run(File(args[0]), File(args[1])) }
    } catch (e: Throwable) {
        listOf("ERROR ${e::class.simpleName}: ${e.message}")
    }
    if (diffs.isNotEmpty()) {
        diffs.forEach { println("kotlin: DIFF $it") }
        exitProcess(1)
    }
    exitProcess(0)
}

@Suppress("UNCHECKED_CAST")
suspend fun run(db: File, expectedFile: File): List<String> {
    val expected = Json(expectedFile.readText(Charsets.UTF_8)).parse() as Map<String, Any?>
    val diffs = mutableListOf<String>()
    fun same(what: String, want: Any?, got: Any?) {
        val w = toJson(want)
        val g = toJson(got)
        if (w != g) diffs += "$what: expected $w, got $g"
    }

    // Opening a missing file would create an empty clinic: refuse instead.
    if (!db.isFile) return listOf("no database at $db")
    val keyHex = System.getenv("CAREBASE_AUDIT_KEY") ?: error("CAREBASE_AUDIT_KEY is not set")
    val key = keyHex.chunked(2).map { it.toInt(16).toByte() }.toByteArray()
    val clinic = Clinic.open("sqlite://${db.absolutePath}", settings(), auditKey = key)
    val system = Actor(id = newId(), roles = listOf(Role.SYSTEM))

    val patients = expected["patients"] as List<Map<String, Any?>>
    for (want in patients) {
        val id = want["id"] as String
        val got: Any? = try {
            val p = clinic.getPatient(system, UUID.fromString(id))
            val name = p.details.names.firstOrNull()
            linkedMapOf(
                "id" to p.id.toString(),
                "version" to p.version.toLong(),
                "active" to p.active,
                "merged_into" to p.mergedInto?.toString(),
                "family" to name?.family,
                "given" to (name?.given ?: listOf()),
                "identifiers" to p.details.identifiers.map { listOf(it.system, it.value) },
            )
        } catch (e: CarebaseException) {
            "error ${e::class.simpleName}: ${e.message}"
        }
        same("patient $id", want, got)
    }

    val searches = expected["searches"] as List<Map<String, Any?>>
    for (s in searches) {
        val q = s["query"] as Map<String, Any?>
        val base = PatientQuery(
            name = q["name"] as String?,
            birthDate = (q["birth_date"] as String?)?.let { LocalDate.parse(it) },
            identifierSystem = q["identifier_system"] as String?,
            identifierValue = q["identifier_value"] as String?,
            phone = q["phone"] as String?,
            email = q["email"] as String?,
            limit = 3,
        )
        val ids = mutableListOf<String>()
        var cursor: String? = null
        do {
            val page = clinic.searchPatients(system, base.copy(cursor = cursor))
            ids += page.items.map { it.id.toString() }
            cursor = page.nextCursor
        } while (cursor != null)
        same("search ${toJson(q)}", s["ids"], ids)
    }

    var events = 0L
    // the position a relay keeps: the last sequence number per partition
    val after = MutableList(16) { 0L }
    while (true) {
        val batch = clinic.eventsAfter(system, after, 1000)
        if (batch.isEmpty()) break
        events += batch.size
        for (e in batch) after[e.partition.toInt()] = e.seq
    }
    same("outbox events", expected["events"], events)

    val audit = expected["audit"] as Map<String, Any?>
    val cp = audit["checkpoint"] as Map<String, Any?>
    val kept = AuditCheckpoint(
        seq = cp["seq"] as Long,
        at = Instant.parse(cp["at"] as String),
        chains = cp["chains"] as Long,
        entries = cp["entries"] as Long,
        root = cp["root"] as String,
        prevSignature = cp["prev_signature"] as String,
        keyId = cp["key_id"] as String,
        signature = cp["signature"] as String,
    )
    val v = clinic.verifyAudit(system, kept)
    same("audit ok", audit["ok"], v.ok)
    same("audit keyed", audit["keyed"], v.keyed)
    same("audit trusted", cp["seq"], v.trusted?.toLong())
    val wantChains = audit["chains_checked"] as Long
    if (v.chainsChecked.toLong() < wantChains) {
        diffs += "audit chains_checked: expected >= $wantChains, got ${v.chainsChecked}"
    }
    clinic.close()
    if (diffs.isEmpty()) {
        println(
            "kotlin: ${patients.size} patients, ${searches.size} searches, $events events, " +
                "audit ok (${v.chainsChecked} chains, ${v.entriesChecked} entries)",
        )
    }
    return diffs
}

// ------------------------------------------------------------- minimal JSON

fun toJson(v: Any?): String = when (v) {
    null -> "null"
    is String -> "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\""
    is Boolean, is Long, is Int -> v.toString()
    is Map<*, *> -> v.entries.joinToString(",", "{", "}") { toJson(it.key) + ":" + toJson(it.value) }
    is List<*> -> v.joinToString(",", "[", "]") { toJson(it) }
    else -> v.toString()
}

class Json(private val s: String) {
    private var i = 0

    fun parse(): Any? {
        val v = value()
        ws()
        require(i == s.length) { "trailing characters at $i" }
        return v
    }

    private fun ws() {
        while (i < s.length && s[i].isWhitespace()) i++
    }

    private fun eat(c: Char) {
        ws()
        require(i < s.length && s[i] == c) { "expected '$c' at $i" }
        i++
    }

    private fun value(): Any? {
        ws()
        return when {
            s[i] == '{' -> {
                i++
                val m = linkedMapOf<String, Any?>()
                ws()
                if (s[i] == '}') { i++; return m }
                while (true) {
                    ws()
                    val k = value() as String
                    eat(':')
                    m[k] = value()
                    ws()
                    if (s[i++] == '}') return m
                }
                @Suppress("UNREACHABLE_CODE") m
            }
            s[i] == '[' -> {
                i++
                val l = mutableListOf<Any?>()
                ws()
                if (s[i] == ']') { i++; return l }
                while (true) {
                    l += value()
                    ws()
                    if (s[i++] == ']') return l
                }
                @Suppress("UNREACHABLE_CODE") l
            }
            s[i] == '"' -> {
                i++
                val b = StringBuilder()
                while (s[i] != '"') {
                    if (s[i] == '\\') {
                        i++
                        when (val e = s[i]) {
                            'n' -> b.append('\n')
                            't' -> b.append('\t')
                            'r' -> b.append('\r')
                            'b' -> b.append('\b')
                            'f' -> b.append('\u000c')
                            'u' -> { b.append(s.substring(i + 1, i + 5).toInt(16).toChar()); i += 4 }
                            else -> b.append(e)
                        }
                        i++
                    } else {
                        b.append(s[i++])
                    }
                }
                i++
                b.toString()
            }
            s.startsWith("null", i) -> { i += 4; null }
            s.startsWith("true", i) -> { i += 4; true }
            s.startsWith("false", i) -> { i += 5; false }
            else -> {
                val start = i
                while (i < s.length && (s[i].isDigit() || s[i] in "+-.eE")) i++
                val t = s.substring(start, i)
                t.toLongOrNull() ?: t.toDouble()
            }
        }
    }
}
